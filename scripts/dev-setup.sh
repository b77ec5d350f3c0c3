#!/usr/bin/env bash
# Everything the test suite needs, from the project's own files:
#   .venv/               curate with the cpu, docs, ray, labelstudio, eval and dev extras
#                        (CPU-only torch; label-studio-sdk for the Label Studio client;
#                        rouge-score for curate eval score)
#   .venv-labelstudio/   a Label Studio server in its own environment (its pins never
#                        meet ours; the tests talk to it over HTTP)
#   chromium             Debian's headless Chromium, for the report test
# Idempotent: a second run only checks.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# torch==2.13.0 (the `cpu` extra) keeps the resolver from pulling a multi-GB CUDA build
.venv/bin/pip install -q -e ".[cpu,docs,ray,labelstudio,eval,dev]"

if [ -f scripts/install-labelstudio.sh ]; then
  bash scripts/install-labelstudio.sh
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is needed by the report test: install it (apt-get install chromium)" >&2
    exit 1
  fi
fi
echo "dev environment ready"

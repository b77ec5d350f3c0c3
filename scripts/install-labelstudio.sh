#!/usr/bin/env bash
# Install the Label Studio server into its own virtual environment, .venv-labelstudio/
# (next to the repository root, or at $CURATE_LS_VENV). Label Studio pins its own
# versions of Django, the SDK and friends; keeping it apart means its pins never fight
# curate's. curate talks to it over HTTP only.
#
# Idempotent: when the venv already holds the wanted version it does nothing.
#   scripts/install-labelstudio.sh            # install or check
#   PYTHON=python3.11 scripts/install-labelstudio.sh
set -euo pipefail

LS_VERSION="${LS_VERSION:-1.23.2}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${CURATE_LS_VENV:-$ROOT/.venv-labelstudio}"
PYTHON="${PYTHON:-python3}"

installed_version() {
  "$VENV/bin/python" - <<'PY' 2>/dev/null || true
from importlib import metadata
print(metadata.version("label-studio"))
PY
}

if [ -x "$VENV/bin/label-studio" ] && [ "$(installed_version)" = "$LS_VERSION" ]; then
  echo "label-studio $LS_VERSION already installed in $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
# (pip warnings about configured local index folders that do not exist are noise)
pip_quiet() { "$VENV/bin/python" -m pip install --quiet "$@" 2> >(grep -v "is ignored: it is neither" >&2); }
pip_quiet --upgrade pip
echo "installing label-studio==$LS_VERSION into $VENV (about 1 GB; a few minutes)"
pip_quiet "label-studio==$LS_VERSION"

got="$(installed_version)"
if [ "$got" != "$LS_VERSION" ]; then
  echo "error: expected label-studio $LS_VERSION in $VENV, found '${got:-nothing}'" >&2
  exit 1
fi
# Import check with the offline switches (no version check, no telemetry) and a throwaway
# data dir: without LABEL_STUDIO_BASE_DATA_DIR it creates ~/.local/share/label-studio.
check_dir="$(mktemp -d)"
trap 'rm -rf "$check_dir"' EXIT
env -u USERNAME -u PASSWORD -u HOST -u PORT \
  LABEL_STUDIO_BASE_DATA_DIR="$check_dir" LATEST_VERSION_CHECK=false COLLECT_ANALYTICS=false \
  SENTRY_DSN= FRONTEND_SENTRY_DSN= "$VENV/bin/label-studio" --help >/dev/null
echo "label-studio $got ready: $VENV/bin/label-studio"

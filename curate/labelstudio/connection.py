"""Which Label Studio server to talk to, and with which token.

In order: ``CURATE_LS_URL`` + ``CURATE_LS_TOKEN`` from the environment; ``label.url`` from
the config with ``CURATE_LS_TOKEN``; else the local server of ``curate label serve`` (its
state in the data folder). The token is never printed, logged or written outside the data
folder's ``credentials.json``.
"""

from __future__ import annotations

import os
from pathlib import Path

from curate.errors import CurateError
from curate.labelstudio.client import Connection, LabelStudioClient
from curate.labelstudio.config import LabelConfig
from curate.labelstudio.server import LocalServer

ENV_URL = "CURATE_LS_URL"
ENV_TOKEN = "CURATE_LS_TOKEN"


def resolve_connection(cfg: LabelConfig | None = None, data_dir: Path | None = None) -> Connection:
    url = os.environ.get(ENV_URL) or (cfg.url if cfg else None)
    if url:
        token = os.environ.get(ENV_TOKEN, "").strip()
        if not token:
            raise CurateError(
                f"Label Studio at {url.rstrip('/')}: no API token; set {ENV_TOKEN} (Account & Settings in Label Studio)"
            )
        return Connection(url=url, token=token, source="env" if os.environ.get(ENV_URL) else "config")
    server = LocalServer(data_dir)
    creds = server.credentials(create=False)
    state = server.state()
    if creds is None:
        raise CurateError(
            f"no Label Studio server: start a local one with `curate label serve` (data in {server.data_dir}), "
            f"or set {ENV_URL} and {ENV_TOKEN} for an existing one"
        )
    if state is None:
        port = server.recorded_port()
        where = f" at http://127.0.0.1:{port}" if port else ""
        raise CurateError(
            f"the local Label Studio{where} is not running; start it with `curate label serve` "
            f"(data in {server.data_dir})"
        )
    return Connection(url=state.url, token=creds.token, source="local", public_url=state.public_url)


def open_client(cfg: LabelConfig | None = None, data_dir: Path | None = None, *, check: bool = True) -> LabelStudioClient:
    """A client for the resolved server; with ``check`` it makes one call so a server that
    is down or a bad token fails here, with one clear message."""
    conn = resolve_connection(cfg, data_dir)
    client = LabelStudioClient(
        conn, timeout=cfg.timeout if cfg else 30.0, retries=cfg.retries if cfg else 4,
    )
    if check:
        try:
            client.check()
        except BaseException:
            client.close()
            raise
    return client

"""Where the benchmarks' corpora live: ``../shared/data`` beside the checkout, or beside
the folder of worktrees the checkout is in, or ``$CURATE_SHARED_DATA``."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def shared_data() -> Path:
    if os.environ.get("CURATE_SHARED_DATA"):
        return Path(os.environ["CURATE_SHARED_DATA"])
    for up in (ROOT.parent, ROOT.parent.parent):
        if (up / "shared" / "data").is_dir():
            return up / "shared" / "data"
    return ROOT.parent / "shared" / "data"

"""Ingest says both what it read (files, messages, rows) and the units it accounts for
(threads, rows, chunks): in the manifest, in `curate ingest`'s line and in the build
summary; warnings come out as one line each."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from file_ingest import ingest
from helpers import run_cli, write_config

FIX = Path(__file__).resolve().parents[1] / "fixtures/sources"


def test_email_threads_are_counted_apart_from_the_files_they_came_from(tmp_path):
    shutil.copytree(FIX / "email/support", tmp_path / "mail")
    records, rejects, entry = ingest(tmp_path, {"type": "email", "name": "support", "path": "mail",
                                                "support_domains": ["example.com"]})
    # 7 message files: 2 threads, 1 duplicate copy
    assert entry["records_in"] == 3 and entry["records_out"] == len(records) == 2
    assert entry["stats"]["files"] == 7
    assert entry["stats"]["sources"]["email:support"] == {"records": 2, "rejected": 0, "skipped": 1,
                                                          "files": 7, "messages": 7}


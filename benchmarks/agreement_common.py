"""Shared by the agreement benchmarks: machine description and results-file sections."""

from __future__ import annotations

import os
import platform
import re
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results" / "agreement.md"
HEADER = "# Agreement statistics: benchmark results\n\nWritten by `benchmarks/agreement_lewidi.py` and `benchmarks/agreement_bench.py`; each rewrites only its own section.\n"


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kb / 1024**2:.0f} GiB RAM"
    except (OSError, AttributeError):
        pass
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}, {date}; shared machine, timings noisy"


def write_section(name: str, body: str) -> Path:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    tmp = RESULTS.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(RESULTS)
    return RESULTS

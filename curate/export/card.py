"""The dataset card (``README.md`` next to the training files).

Hugging Face style: YAML front matter (license, size, the ``configs`` that let
``datasets.load_dataset(DIR)`` find the splits) and sections on where the data came from
and what was done to it: sources, the funnel with counts, PII policy and counts, dedupe
figures, selection, labels and agreement, splits, decontamination, token counts and cost,
license, files with checksums.

The figures come from the run's manifest (``stages.<stage>.records_in/records_out/
dropped/rejected/stats``), ``agreement.json`` and the export itself. Stages report
different statistics and some may be disabled or missing: the card shows the figures that
are there, named as the stage names them, and says so when a section has none.

Every value the card interpolates (the config's description, license and system prompt,
source paths, currency, figures and their names) is HTML-escaped: the card is rendered as
HTML by the Hub and by code forges, and a config or a source file is not to put markup
there."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from curate.export.formats import FORMAT_TITLES

STAGES = ("ingest", "redact", "dedupe", "filter", "embed", "select", "export")
MAX_FIGURES = 40


@dataclass
class CardInput:
    name: str
    config: dict[str, Any]
    manifest: dict[str, Any]
    export: dict[str, Any]  # the export's own statistics (stage.stats)
    data_files: dict[str, str]  # split -> path relative to the card
    files: list[tuple[str, int, str]] = field(default_factory=list)  # path, bytes, sha256
    created_at: str = ""
    version: str = ""


# -- formatting helpers ------------------------------------------------------------------


def fmt_value(v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v != v:  # NaN
            return "n/a"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        text = f"{v:,.3f}" if abs(v) < 1000 else f"{v:,.1f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if v is None or v == {}:
        return "—"
    if isinstance(v, (list, tuple)):
        if all(not isinstance(x, (dict, list)) for x in v):
            text = ", ".join(fmt_value(x) for x in v[:12]) + (f", … ({len(v)} in all)" if len(v) > 12 else "")
            return text or "—"
        return f"{len(v)} entries"
    return _cell(str(v))


def esc(value: Any) -> str:
    """A value as card text: HTML-significant characters escaped (``<``, ``>``, ``&``; with
    no ``<`` left no tag or attribute can start, so quotes need not be), table pipes
    escaped, on one line."""
    return html.escape(str(value), quote=False).replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _cell(text: str) -> str:
    return esc(text)


def flat_figures(d: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested statistics as (dotted name, formatted value) rows."""
    out: list[tuple[str, str]] = []
    if isinstance(d, dict):
        for k, v in d.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, dict) and v:
                out.extend(flat_figures(v, key))
            else:
                out.append((key, fmt_value(v)))
    elif prefix:
        out.append((prefix, fmt_value(d)))
    return out


def table(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> list[str]:
    header = list(header)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(c if isinstance(c, str) else fmt_value(c) for c in r) + " |")
    return lines


def figures_table(d: Any, limit: int = MAX_FIGURES) -> list[str]:
    rows = flat_figures(d)
    if not rows:
        return []
    more = len(rows) - limit
    lines = table(["figure", "value"], [(f"`{_cell(k)}`", v) for k, v in rows[:limit]])
    if more > 0:
        lines.append(f"\n… and {more} more figures in the run's `manifest.json` (not part of this folder).")
    return lines


def size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if n < limit:
            return name
    return "n>10M"


# -- the card ------------------------------------------------------------------------------


def front_matter(c: CardInput) -> str:
    total = sum(int(s.get("examples", 0)) for s in c.export.get("splits", {}).values())
    meta: dict[str, Any] = {}
    lic = c.config.get("license")
    if lic:
        meta["license"] = esc(str(lic).lower())
    meta["pretty_name"] = esc(c.name)
    meta["task_categories"] = ["text-generation"]
    meta["size_categories"] = [size_category(total)]
    meta["tags"] = ["curate", "fine-tuning", esc(c.export.get("format", ""))]
    if c.data_files:
        meta["configs"] = [{
            "config_name": "default",
            "data_files": [{"split": s, "path": p} for s, p in c.data_files.items()],
        }]
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"


def render_card(c: CardInput) -> str:
    cfg, ex = c.config, c.export
    stages = c.manifest.get("stages") or {}
    lines: list[str] = [front_matter(c), f"# {esc(c.name)}", ""]
    if cfg.get("description"):
        lines += [esc(cfg["description"]), ""]
    fmt = ex.get("format", "")
    total = sum(int(s.get("examples", 0)) for s in ex.get("splits", {}).values())
    lines += [
        f"{total:,} training examples in the **{FORMAT_TITLES.get(fmt, esc(fmt))}** format, curated with "
        f"curate {esc(c.version)} (run `{esc(c.name)}`, config hash `{esc(str(c.manifest.get('config_hash', ''))[:12])}`, "
        f"exported {esc(c.created_at)}).",
        "",
    ]
    lines += _section_version(c)
    lines += _section_contents(c)
    lines += _section_sources(c, stages)
    lines += _section_funnel(c, stages)
    lines += _section_pii(c, stages)
    lines += _section_stage("Deduplication", "dedupe", cfg, stages,
                            "Exact and near duplicates were removed before selection; a duplicate "
                            "group never spans two splits.")
    lines += _section_stage("Selection", "select", cfg, stages, None)
    lines += _section_labels(c)
    lines += _section_reasoning(c)
    lines += _section_splits(c)
    lines += _section_benchmark(c)
    lines += _section_volume(c)
    lines += _section_decontamination(c)
    lines += _section_tokens(c)
    lines += _section_labeling_cost(c)
    lines += ["## License", ""]
    lines += [esc(cfg["license"]) if cfg.get("license") else
              "No license was given in the configuration (`license:`): ask the data owner before sharing.", ""]
    lines += _section_files(c)
    return "\n".join(lines).rstrip() + "\n"


def _section_version(c: CardInput) -> list[str]:
    """The dataset version (every export of a run is one), its parent and what changed."""
    v = c.export.get("version")
    if not v:
        return []
    out = ["## Version", ""]
    parent = f"v{v['parent']}" if v.get("parent") else "none (the first version)"
    out += [f"Version **v{v['version']}** of run `{esc(c.name)}`; parent: {parent}. "
            "`curate diff RUN` lists the changes by example, `curate versions RUN` every version.", ""]
    ch = v.get("changes")
    if ch:
        out += [f"Changes since v{v['parent']}: {esc(v.get('summary'))}.", ""]
    elif v.get("parent"):
        out += [esc(v.get("summary")), ""]
    return out


def _section_contents(c: CardInput) -> list[str]:
    ex = c.export
    out = ["## Contents", ""]
    rows = []
    for split, s in ex.get("splits", {}).items():
        rows.append((f"`{esc(split)}`", s.get("examples", 0), s.get("tokens", 0), s.get("mean_tokens", 0),
                     s.get("max_tokens", 0), f"`{esc(c.data_files.get(split, '—'))}`"))
    out += table(["split", "examples", "tokens", "mean tokens", "max tokens", "file"], rows)
    out.append("")
    fmt = ex.get("format")
    if fmt == "hf":
        out += ["Load it with `datasets`:", "", "```python", "from datasets import load_dataset",
                'ds = load_dataset("path/to/this/folder")', "```", ""]
    else:
        files = ", ".join(f'"{s}": "{p}"' for s, p in c.data_files.items())
        out += ["Load it with `datasets`:", "", "```python", "from datasets import load_dataset",
                f'ds = load_dataset("json", data_files={{{files}}})', "```", ""]
    out += [f"Each line follows `schema.json` (check a file with `curate validate FILE --format {esc(fmt)}`).", ""]
    sp = c.config.get("export", {}).get("system_prompt")
    if sp:
        out += [f"System prompt of every example: “{_cell(sp)}”", ""]
    return out


def _section_sources(c: CardInput, stages: dict[str, Any]) -> list[str]:
    out = ["## Sources", ""]
    per_source = ((stages.get("ingest") or {}).get("stats") or {}).get("sources") or {}
    rows = []
    for s in c.config.get("sources") or []:
        if not isinstance(s, dict):
            continue
        type_ = s.get("type", "?")
        name = s.get("name")
        key = next((k for k in per_source if k == f"{type_}:{name}" or (name is None and k.startswith(f"{type_}:"))), None)
        figs = per_source.get(key) or {}
        where = s.get("path") or s.get("url") or s.get("subdomain") or "—"
        rows.append((f"`{esc(type_)}:{esc(name)}`" if name else f"`{esc(type_)}`", esc(s.get("kind") or "—"), f"`{_cell(str(where))}`",
                     figs.get("records", "—"), figs.get("rejected", "—"), figs.get("skipped", "—"),
                     "no" if s.get("enabled") is False else "yes"))
    if rows:
        out += table(["source", "kind", "from", "records", "rejected", "skipped", "enabled"], rows)
    else:
        out.append("No sources are recorded in the run's configuration.")
    out.append("")
    return out


def _dropped(d: dict[str, Any] | None) -> str:
    if not d:
        return "—"
    return ", ".join(f"{esc(k)}: {fmt_value(v)}" for k, v in sorted(d.items(), key=lambda kv: -kv[1]))


def _section_funnel(c: CardInput, stages: dict[str, Any]) -> list[str]:
    out = ["## Funnel", "", "Every record that entered a stage either left it or was dropped with a reason "
           "(`curate inspect RUN --dropped REASON`).", ""]
    rows = []
    names = [s for s in STAGES if s in stages] + [s for s in stages if s not in STAGES]
    if "export" not in names:
        names.append("export")
    for name in names:
        e = c.export.get("funnel_entry") if name == "export" else stages.get(name) or {}
        status = "done" if name == "export" else e.get("status", "—")
        if status != "done":
            rows.append((esc(name), esc(status), "—", "—", "—", "—"))
            continue
        rows.append((esc(name), esc(status), e.get("records_in", 0), e.get("records_out", 0),
                     _dropped(e.get("dropped")), e.get("rejected", 0)))
    out += table(["stage", "status", "in", "out", "dropped (by reason)", "rejected"], rows)
    out.append("")
    return out


def _stage_settings(cfg: dict[str, Any], key: str) -> dict[str, Any]:
    sec = cfg.get(key)
    return sec if isinstance(sec, dict) else {}


#: figures that describe how long or where a stage ran, not the data: left to manifest.json
_NOISE = ("seconds", "device", "parameters", "cache_file", "docs_per_second", "backend")


def _quiet(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if not any(n in str(k) for n in _NOISE)}


def _top_settings(d: dict[str, Any]) -> dict[str, Any]:
    """The top-level settings (nested sections are in manifest.json)."""
    return {k: v for k, v in d.items() if k != "enabled" and not isinstance(v, dict)}


def _section_pii(c: CardInput, stages: dict[str, Any]) -> list[str]:
    out = ["## Personal data (PII)", ""]
    entry = stages.get("redact") or {}
    settings = _stage_settings(c.config, "redact")
    stats = entry.get("stats") or {}
    exported = c.export.get("pii") or {}
    if entry.get("status") != "done":
        why = "was disabled" if entry.get("status") == "disabled" or settings.get("enabled") is False else "did not run"
        out += [f"**Redaction {why} for this build: the examples may contain personal data.**", ""]
    else:
        out += ["Personal data was detected with Presidio and replaced before anything left the run "
                "(only the run's ingest table holds raw text).", ""]
        policy = []
        if settings.get("entities"):
            policy.append(f"entities: {fmt_value(settings['entities'])}")
        op = settings.get("default_operator")
        if isinstance(op, dict) and op.get("type"):
            policy.append(f"operator: {esc(op['type'])}" + (" (numbered placeholders)" if op.get("numbered") else ""))
        if settings.get("score_threshold") is not None:
            policy.append(f"score threshold: {fmt_value(settings['score_threshold'])}")
        model = stats.get("model")
        if not model and isinstance(settings.get("model"), dict):
            model = settings["model"].get("name")
        if model:
            policy.append(f"model: {esc(model)}")
        if settings.get("on_residual"):
            policy.append(f"residual PII after redaction: {esc(settings['on_residual'])}")
        if policy:
            out += ["Policy — " + "; ".join(policy) + " (all settings: `redact:` in the run's `manifest.json`).", ""]
    built = stats.get("entities") if isinstance(stats.get("entities"), dict) else {}
    names = sorted(set(built) | set(exported), key=lambda k: (-(built.get(k) or 0), k))
    if names:
        out += table(["entity", "replaced in the build", "in the exported examples"],
                     [(esc(n), built.get(n, "—"), exported.get(n, 0)) for n in names]) + [""]
    rest = _quiet({k: v for k, v in stats.items() if k not in ("entities", "operators", "model")})
    if rest:
        out += ["Other redaction figures (as the redact stage reports them):", ""] + figures_table(rest) + [""]
    return out


def _section_stage(title: str, key: str, cfg: dict[str, Any], stages: dict[str, Any], note: str | None) -> list[str]:
    out = [f"## {title}", ""]
    entry = stages.get(key) or {}
    status = entry.get("status")
    if status != "done":
        out += [f"The {key} stage {'was disabled' if status == 'disabled' else 'did not run'} in this build.", ""]
        return out
    if note:
        out += [note, ""]
    out += [f"{fmt_value(entry.get('records_in', 0))} records in, {fmt_value(entry.get('records_out', 0))} out"
            + (f"; dropped: {_dropped(entry.get('dropped'))}" if entry.get("dropped") else "") + ".", ""]
    if key == "select":
        emb = (stages.get("embed") or {}).get("stats") or {}
        if emb.get("model"):
            out += [f"Embeddings: {esc(emb['model'])}" + (f" ({esc(emb['dim'])} dimensions)" if emb.get("dim") else "") + ".", ""]
    settings = _top_settings(_stage_settings(cfg, key))
    if settings:
        out += ["Settings (nested ones in the run's `manifest.json`):", ""] + figures_table(settings) + [""]
    stats = {k: v for k, v in _quiet(entry.get("stats") or {}).items() if k not in settings or settings[k] != v}
    if stats:
        out += ["Figures (as the stage reports them):", ""] + figures_table(stats) + [""]
    return out


def _estimate(est: Any, pct: bool = False) -> str:
    """A figure with its 95% interval: ``0.61 (0.42–0.78)``."""
    if not isinstance(est, dict) or not isinstance(est.get("value"), (int, float)):
        return "—"
    v = est["value"]
    ci = est.get("ci") if isinstance(est.get("ci"), list) else None

    def f(x: float) -> str:
        return f"{x:.0%}" if pct else f"{x:.3f}"

    if ci and len(ci) == 2 and all(isinstance(x, (int, float)) for x in ci):
        return f"{f(v)} ({f(ci[0])}–{f(ci[1])})"
    return f(v)


def _section_labels(c: CardInput) -> list[str]:
    out = ["## Review and agreement", ""]
    lab = c.export.get("labels") or {}
    if not lab.get("used"):
        out += ["Not reviewed: the examples are the selected records as the pipeline left them "
                "(no labels were used for this export).", ""]
    else:
        out += [f"Reviewed labels from {esc(lab.get('source'))}; task `{esc(lab.get('task'))}`, export policy "
                f"`{esc(lab.get('policy'))}`. Only records the policy accepts are exported; rejected ones are "
                "left out and edited replies replace the original.", ""]
        rows = [(esc(k), v) for k, v in (lab.get("decisions") or {}).items()]
        if rows:
            out += table(["decision", "records"], rows) + [""]
    out += _expert_work(c.export.get("expert_work") or {})
    ag = c.export.get("agreement") or {}
    if ag.get("fields"):
        out += [f"Agreement between the two reviewers of each item, computed from the labels at export time "
                f"({fmt_value(ag.get('items'))} items, {fmt_value(ag.get('reviewers'))} reviewers); 95% intervals "
                "from a bootstrap over items. *agree*: items on which they agree under the rule that sends items "
                "to adjudication; kappa: Cohen's (two reviewers) or Fleiss', quadratic-weighted for ordinal fields; "
                "alpha: Krippendorff's (reliable from 0.800, tentative from 0.667).", ""]
        rows = []
        for r in ag["fields"]:
            text = r.get("level") == "text"
            rows.append((f"`{esc(r.get('field'))}`", esc(r.get("level")), fmt_value(r.get("n")),
                         _estimate(r.get("agreement"), pct=True),
                         "—" if text else _estimate(r.get("kappa")),
                         f"similarity {_estimate(r.get('similarity'))}" if text else _estimate(r.get("alpha")),
                         esc(r.get("reading"))))
        out += table(["field", "level", "n", "agree", "kappa", "alpha", "reading"], rows) + [""]
    elif lab.get("used"):
        out += ["Agreement could not be measured: the labels were not pulled into the run folder "
                "(decisions given as a file carry no per-reviewer labels).", ""]
    gates = ag.get("gates") or []
    if gates:
        rows = []
        for g in gates:
            state = ("not checked (no labels used)" if g.get("passed") is None else
                     "passed" if g["passed"] else "**failed**")
            rows.append((f"`{esc(g['field'])}`", esc(g["metric"]), fmt_value(g["minimum"]),
                         "not measured" if g.get("value") is None else f"{g['value']:.3f}", state))
        out += [f"Agreement gates (`label.gates`, on failure: {esc(ag.get('on_fail'))}):", ""]
        out += table(["field", "statistic", "at least", "measured", "result"], rows) + [""]
    return out


def _expert_work(xw: dict[str, Any]) -> list[str]:
    """Records pushed to Label Studio or labeled there: kept through rebuilds, and any that
    left the run since, by reason."""
    if not xw.get("records"):
        return []
    out = [f"Expert work: {fmt_value(xw.get('records'))} records were pushed to Label Studio "
           f"({fmt_value(xw.get('labeled'))} with labels); every rebuild keeps them selected, and "
           f"{fmt_value(xw.get('exported'))} are in this export.", ""]
    lost = xw.get("lost") or {}
    if lost:
        out += ["Records with expert work that are no longer in the run (listed by id in `dropped.jsonl`):", ""]
        out += table(["reason", "records"], [(f"`{esc(k)}`", fmt_value(v)) for k, v in lost.items()]) + [""]
    return out


def _section_reasoning(c: CardInput) -> list[str]:
    r = c.export.get("reasoning") or {}
    if not r.get("examples_with_reasoning") and not r.get("required"):
        return []
    mode = r.get("mode")
    how = {
        "inline": f"written before the answer in the assistant's reply (template `{esc(r.get('template'))}`)",
        "think": "written before the answer in a `<think>` block of the assistant's reply",
        "field": f"in the `{esc(r.get('field'))}` key of the assistant message",
        "omit": "left out of the files (export.reasoning: omit)",
    }.get(str(mode), esc(mode))
    out = ["## Reasoning", "", f"{fmt_value(r.get('examples_with_reasoning', 0))} examples carry reasoning for their "
           f"final answer, {how}."]
    if r.get("required"):
        out.append("This is a reasoning task (`label.task: reasoning_review`): records without reasoning were left out "
                   "(`no_reasoning`); with labels, only the reasoning the reviewers accepted or corrected counts.")
    return out + [""]


def _strata_text(sp: dict[str, Any]) -> str:
    by = sp.get("stratify_by")
    if not by:
        return ""
    names = by if isinstance(by, list) else [by]
    return f", stratified by {', '.join(f'`{esc(n)}`' for n in names)}"


def _section_splits(c: CardInput) -> list[str]:
    sp = c.export.get("split") or {}
    out = ["## Splits", ""]
    grouping = "duplicate groups" + (" and select clusters" if sp.get("clusters_together") else "")
    out += [f"Seeded ({esc(sp.get('seed'))}) split in which whole {grouping} stay on one side "
            f"({fmt_value(sp.get('components', 0))} groups; the largest holds {fmt_value(sp.get('largest_component', 0))} "
            "records)" + _strata_text(sp) + ".", ""]
    req = sp.get("requested") or {}
    rows = [(f"`{esc(k)}`", req.get(k, 0), v, (sp.get("groups") or {}).get(k, 0)) for k, v in (sp.get("sizes") or {}).items()
            if v or req.get(k)]
    out += table(["split", "asked for", "examples", "groups"], rows) + [""]
    if sp.get("stable"):
        kept = sp.get("kept_from_earlier") or 0
        out += ["The split is kept across exports of this run (`split.json` in the run folder): a record once in "
                "eval stays in eval when records are added, and one in train stays in train"
                + (f"; {fmt_value(kept)} examples kept their side from earlier exports" if kept else "") + "."]
        if sp.get("drawn_anew"):
            out.append(f"The split settings changed since the earlier export, so the split was drawn anew: "
                       f"{fmt_value(sp.get('moved_since_earlier', 0))} held-out examples changed side.")
        if sp.get("group_conflicts"):
            out.append(f"{fmt_value(sp['group_conflicts'])} groups hold records that earlier exports put on "
                       "different sides (their grouping changed); each record stayed where it was.")
        out.append("")
    per = sp.get("eval_per_stratum") or {}
    if per:
        out += [f"Eval examples per stratum (at least {esc(sp.get('min_per_stratum'))} in every stratum of two or "
                "more records):", ""]
        out += table(["stratum", "eval examples"], [(f"`{esc(k)}`", v) for k, v in per.items()]) + [""]
    if sp.get("eval_below_benchmark_minimum"):
        out += [f"**The eval set has {fmt_value((sp.get('sizes') or {}).get('eval', 0))} examples, fewer than the "
                "200 a benchmark needs** to tell models apart reliably.", ""]
    leak = c.export.get("leakage")
    if leak:
        out += [f"Leakage check: {fmt_value(leak.get('eval_near_train', 0))} held-out examples share at least "
                f"{int(leak.get('min_fraction', 0) * 100)}% of their {esc(leak.get('n'))}-word n-grams with train "
                "examples (templated replies share phrases; a high count suggests near-duplicates that dedupe missed).", ""]
    return out


def _section_benchmark(c: CardInput) -> list[str]:
    b = c.export.get("benchmark") or {}
    out = ["## Benchmark", ""]
    if not b.get("written"):
        out += [f"No `benchmark.jsonl`: {esc(b.get('not_written') or 'no eval examples')}.", ""]
        return out
    who = ("reviewed by the domain experts (accepted or corrected)" if b.get("expert_reviewed") else
           "**not reviewed**: the references are the source's replies, not answers checked by a domain expert")
    out += [f"`benchmark.jsonl` holds the {fmt_value(b.get('examples'))} eval examples as a benchmark, {who}. Each "
            "line: `id`, `messages` (the input, ending before the answer), `reference` (the gold answer), `strata` "
            "and `source_ids`; see docs/export.md for running it with lm-evaluation-harness or an OpenAI-evals-style "
            "runner (`curate eval` reads it too)."]
    if b.get("below_minimum"):
        out.append(f"**It holds fewer than {fmt_value(b.get('minimum'))} examples.**")
    out.append("")
    strata = b.get("strata") or {}
    if strata:
        out += table(["strata", "examples"], [(f"`{esc(k)}`", v) for k, v in strata.items()]) + [""]
    return out


def _section_volume(c: CardInput) -> list[str]:
    v = c.export.get("volume") or {}
    tasks = v.get("tasks") or []
    if not tasks:
        return []
    out = ["## Volume", "", f"Guidance (`export.volume`): fewer than {fmt_value(v.get('min_train'))} training examples "
           f"per task rarely produce a meaningful improvement; beyond {fmt_value(v.get('max_train'))} returns diminish, "
           "and quality and coverage matter more.", ""]
    words = {"warning": "**below the minimum**", "note": "above the point of diminishing returns", "ok": "in range"}
    out += table(["task" + (f" (`{esc(v['per'])}`)" if v.get("per") else ""), "train examples", ""],
                 [(esc(t["task"]) if t.get("task") is not None else "(all)", t.get("train", 0), words.get(t.get("level"), ""))
                  for t in tasks]) + [""]
    return out


def _section_decontamination(c: CardInput) -> list[str]:
    d = c.export.get("decontamination") or {}
    out = ["## Decontamination", ""]
    if not d.get("files"):
        out += ["No benchmark or eval file was given (`export.decontaminate.files`): the examples were not "
                "checked for overlap with evaluation data.", ""]
        return out
    out += [f"Examples sharing at least {esc(d.get('min_shared'))} {esc(d.get('n'))}-word n-gram(s) "
            f"(and at least {fmt_value(d.get('min_fraction'))} of their own) with these files were left out:", ""]
    out += table(["file", "rows", "sha256"], [(f"`{esc(f['name'])}`", f.get("rows", "—"), f"`{esc(f['sha256'][:16])}…`") for f in d["files"]])
    out += ["", f"Left out: **{fmt_value(d.get('dropped', 0))}** examples, listed by id in `dropped.jsonl` "
            "(reason `decontaminated`, with the benchmark row they overlap).", ""]
    return out


def _money(v: Any, currency: Any) -> str:
    return f"{v:,.2f} {esc(currency)}" if isinstance(v, (int, float)) else "—"


def _section_tokens(c: CardInput) -> list[str]:
    t = c.export.get("tokens") or {}
    out = ["## Token counts and training cost", "", f"Counted with {esc(t.get('tokenizer', 'an unknown tokenizer'))}.", ""]
    rows = [(f"`{esc(k)}`", s.get("tokens", 0), s.get("assistant_tokens", 0)) for k, s in (c.export.get("splits") or {}).items()]
    out += table(["split", "tokens", "of which assistant replies"], rows) + [""]
    cost = c.export.get("cost") or {}
    epochs = cost.get("epochs")
    if cost.get("price_per_million_tokens") is not None:
        val = " and the eval tokens" if cost.get("validation_billed") else ""
        out += [f"Estimated training cost at your price: {fmt_value(cost.get('train_tokens', 0))} train tokens{val} × "
                f"{esc(epochs)} epochs × {fmt_value(cost['price_per_million_tokens'])} {esc(cost.get('currency'))} "
                f"per million tokens = **{_money(cost.get('amount'), cost.get('currency'))}** "
                f"({fmt_value(cost.get('trained_tokens', 0))} tokens trained).", ""]
    providers = cost.get("providers") or []
    if providers:
        tab = cost.get("price_table") or {}
        when = f", prices as of {esc(tab['as_of'])}" if tab.get("as_of") else ""
        out += [f"Training on managed fine-tuning services ({fmt_value(cost.get('train_tokens', 0))} train tokens × "
                f"{esc(epochs)} epochs; eval tokens added where the provider is known to bill validation{when}; "
                + ("the bundled table `curate/export/prices.yaml`" if tab.get("from") == "bundled" else "your `export.cost.prices`")
                + "). Prices change: check each at its source before relying on it.", ""]
        prow = []
        for p in providers:
            val = {True: "yes", False: "no"}.get(p.get("validation_billed"), "not known")
            price = f"{fmt_value(p.get('price_per_million_tokens'))} {esc(p.get('currency'))}"
            if p.get("confidence") == "low":
                price += " (uncertain)"
            prow.append((esc(p.get("provider")), esc(p.get("model")), price, val,
                         _money(p.get("amount"), p.get("currency")), esc(p.get("source") or "—")))
        out += table(["provider", "model", "per 1M tokens", "validation billed", "cost", "source"], prow) + [""]
    elif cost.get("price_per_million_tokens") is None:
        out += [f"Training over {esc(epochs or 1)} epochs processes {fmt_value(cost.get('trained_tokens', 0))} "
                "tokens; set `export.cost.price_per_million_tokens` for a cost estimate.", ""]
    return out


def _section_labeling_cost(c: CardInput) -> list[str]:
    lc = c.export.get("labeling_cost") or {}
    if not lc:
        return []
    cur = lc.get("currency")
    what = "records pushed for review" if lc.get("pushed") else "records to review"
    out = ["## Labeling cost", "",
           f"{fmt_value(lc.get('items'))} {what} × {fmt_value(lc.get('reviewers_per_item'))} reviewers"
           + (f" + {fmt_value(lc.get('adjudications'))} adjudications" if lc.get("adjudications") else "")
           + f" = {fmt_value(lc.get('reviews'))} reviews × {_money(lc.get('cost_per_review'), cur)} "
           f"= {_money(lc.get('reviews_cost'), cur)}, plus {fmt_value(round((lc.get('qa_overhead') or 0) * 100))}% "
           f"quality-assurance overhead ({_money(lc.get('qa_cost'), cur)}): **{_money(lc.get('amount'), cur)}** "
           "(`label.cost_per_review`, `label.qa_overhead`).", ""]
    tm = lc.get("time")
    if tm:
        out += [f"Reviewers' measured time (Label Studio's lead time per annotation): {fmt_value(tm.get('hours_so_far'))} "
                f"hours for {fmt_value(tm.get('measured_reviews'))} reviews so far, a median of "
                f"{fmt_value(tm.get('median_seconds_per_review'))} s per review; {fmt_value(tm.get('reviews_remaining'))} "
                f"reviews to go, about {fmt_value(tm.get('hours_remaining'))} more hours "
                f"({fmt_value(tm.get('hours_projected'))} hours in all).", ""]
    return out


def _section_files(c: CardInput) -> list[str]:
    out = ["## Files", ""]
    out += table(["file", "bytes", "sha256"], [(f"`{esc(p)}`", n, f"`{esc(h)}`") for p, n, h in c.files])
    out += ["", "`manifest.json` lists every file with its checksum, `dropped.jsonl` every record left out "
            "with its reason (ids only, no text).", ""]
    return out

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
    agreement: dict[str, Any] | None = None
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
        lines.append(f"\n… and {more} more figures in `manifest.json`.")
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
    lines += _section_contents(c)
    lines += _section_sources(c, stages)
    lines += _section_funnel(c, stages)
    lines += _section_pii(c, stages)
    lines += _section_stage("Deduplication", "dedupe", cfg, stages,
                            "Exact and near duplicates were removed before selection; a duplicate "
                            "group never spans two splits.")
    lines += _section_stage("Selection", "select", cfg, stages, None)
    lines += _section_labels(c)
    lines += _section_splits(c)
    lines += _section_decontamination(c)
    lines += _section_tokens(c)
    lines += ["## License", ""]
    lines += [esc(cfg["license"]) if cfg.get("license") else
              "No license was given in the configuration (`license:`): ask the data owner before sharing.", ""]
    lines += _section_files(c)
    return "\n".join(lines).rstrip() + "\n"


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
            out += ["Policy — " + "; ".join(policy) + " (all settings: `redact:` in `manifest.json`).", ""]
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
        out += ["Settings (nested ones in `manifest.json`):", ""] + figures_table(settings) + [""]
    stats = {k: v for k, v in _quiet(entry.get("stats") or {}).items() if k not in settings or settings[k] != v}
    if stats:
        out += ["Figures (as the stage reports them):", ""] + figures_table(stats) + [""]
    return out


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
    if c.agreement:
        out += ["Agreement between reviewers (`agreement.json`):", ""]
        out += figures_table(c.agreement, limit=60) + [""]
    elif lab.get("used"):
        out += ["No `agreement.json` was found in the run folder.", ""]
    return out


def _section_splits(c: CardInput) -> list[str]:
    sp = c.export.get("split") or {}
    out = ["## Splits", ""]
    grouping = "duplicate groups" + (" and select clusters" if sp.get("clusters_together") else "")
    out += [f"Seeded ({esc(sp.get('seed'))}) split in which whole {grouping} stay on one side "
            f"({fmt_value(sp.get('components', 0))} groups; the largest holds {fmt_value(sp.get('largest_component', 0))} "
            "records)" + (f", stratified by `{esc(sp['stratify_by'])}`" if sp.get("stratify_by") else "") + ".", ""]
    req = sp.get("requested") or {}
    rows = [(f"`{esc(k)}`", req.get(k, 0), v, (sp.get("groups") or {}).get(k, 0)) for k, v in (sp.get("sizes") or {}).items()
            if v or req.get(k)]
    out += table(["split", "asked for", "examples", "groups"], rows) + [""]
    leak = c.export.get("leakage")
    if leak:
        out += [f"Leakage check: {fmt_value(leak.get('eval_near_train', 0))} held-out examples share at least "
                f"{int(leak.get('min_fraction', 0) * 100)}% of their {esc(leak.get('n'))}-word n-grams with train "
                "examples (templated replies share phrases; a high count suggests near-duplicates that dedupe missed).", ""]
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


def _section_tokens(c: CardInput) -> list[str]:
    t = c.export.get("tokens") or {}
    out = ["## Token counts and training cost", "", f"Counted with {esc(t.get('tokenizer', 'an unknown tokenizer'))}.", ""]
    rows = [(f"`{esc(k)}`", s.get("tokens", 0), s.get("assistant_tokens", 0)) for k, s in (c.export.get("splits") or {}).items()]
    out += table(["split", "tokens", "of which assistant replies"], rows) + [""]
    cost = c.export.get("cost") or {}
    if cost.get("price_per_million_tokens") is not None:
        out += [f"Estimated training cost: {fmt_value(cost.get('train_tokens', 0))} train tokens × "
                f"{esc(cost.get('epochs'))} epochs × {fmt_value(cost['price_per_million_tokens'])} {esc(cost.get('currency'))} "
                f"per million tokens = **{cost.get('amount', 0):,.2f} {esc(cost.get('currency'))}** "
                f"({fmt_value(cost.get('trained_tokens', 0))} tokens trained).", ""]
    else:
        out += [f"Training over {esc(cost.get('epochs', 1))} epochs processes {fmt_value(cost.get('trained_tokens', 0))} "
                "tokens; set `export.cost.price_per_million_tokens` for a cost estimate.", ""]
    return out


def _section_files(c: CardInput) -> list[str]:
    out = ["## Files", ""]
    out += table(["file", "bytes", "sha256"], [(f"`{esc(p)}`", n, f"`{esc(h)}`") for p, n, h in c.files])
    out += ["", "`manifest.json` lists every file with its checksum, `dropped.jsonl` every record left out "
            "with its reason (ids only, no text).", ""]
    return out

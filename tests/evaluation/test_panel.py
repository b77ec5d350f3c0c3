"""The run report's human-evaluation panel: present only when the run has an eval, drawn
from its report.json, every name escaped."""

from __future__ import annotations

import html
import re

import polars as pl
from report_synth import write_run

from curate.evaluation.report import human_report
from curate.report import PANEL_IDS, build_panels, render_report
from curate.store import write_json

SNEAKY = '<img src=x onerror="alert(1)">'


def ratings() -> pl.DataFrame:
    rows = []
    for i in range(8):
        for s, base in (("finetuned-v3", 4), (SNEAKY, 2)):
            for r in ("ann", "bea", "cal"):
                for d in ("accuracy", "tone"):
                    rows.append({"item": f"i{i}", "system": s, "reviewer": r, "dimension": d,
                                 "rating": float(base + (i + len(r) + len(d)) % 2)})
    return pl.DataFrame(rows)


def test_panel_only_with_an_eval(tmp_path):
    run = write_run(tmp_path / "run")
    assert [p.id for p in build_panels(run, strict=True)] == list(PANEL_IDS)

    rep = human_report(ratings(), strata={f"i{i}": {"task_type": "refund" if i % 2 else "order"} for i in range(8)},
                       systems=["finetuned-v3", SNEAKY], samples=200, seed=0, source={"eval": "human-eval", "blind": True})
    write_json(run.root / "evals" / "human-eval" / "report.json", rep)
    panels = build_panels(run, strict=True)
    assert [p.id for p in panels] == [*PANEL_IDS, "human_eval"]
    assert panels[-1].state == "ok"
    page = render_report(run, strict=True)
    sec = re.search(r'<section id="human_eval"[^>]*>(.*?)</section>', page, re.DOTALL).group(1)
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", sec)).split())
    assert "Eval human-eval" in text and "finetuned-v3 vs" in text
    mean = rep["means"]["finetuned-v3"]["overall"]
    assert f"{mean['value']:.2f} [{mean['ci'][0]:.2f}, {mean['ci'][1]:.2f}]" in text
    assert "Krippendorff's α" in text and "accuracy" in text
    assert SNEAKY not in page and html.escape(SNEAKY) in page  # a system name from a ratings file is text
    assert 'href="#human_eval"' in page


def test_a_damaged_eval_report_is_left_out(tmp_path):
    run = write_run(tmp_path / "run")
    (run.root / "evals" / "x").mkdir(parents=True)
    (run.root / "evals" / "x" / "report.json").write_text("{not json")
    assert [p.id for p in build_panels(run, strict=True)] == list(PANEL_IDS)

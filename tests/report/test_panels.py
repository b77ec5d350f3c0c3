"""The report's panels on a hand-written run folder (tests/report/synth.py): what each
panel shows, that record text is escaped and comes only from redacted tables, and that
missing or damaged inputs leave a panel out instead of failing."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import polars as pl
import pytest
from report_synth import RAW_SECRETS, XSS, write_run

from curate.records import pii_counts
from curate.report import PANEL_IDS, build_panels, generate, render_report, write_report
from curate.report.data import PrivacyError, RunData
from curate.run import RunFolder


@pytest.fixture(scope="module")
def synth_run(tmp_path_factory) -> RunFolder:
    return write_run(tmp_path_factory.mktemp("synth") / "run")


@pytest.fixture(scope="module")
def page(synth_run) -> str:
    return render_report(synth_run, strict=True)


def section(page: str, pid: str) -> str:
    m = re.search(rf'<section id="{pid}"[^>]*>(.*?)</section>', page, re.DOTALL)
    assert m, f"no section {pid}"
    return m.group(1)


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_every_panel_is_drawn_from_the_run(synth_run):
    panels = build_panels(synth_run, strict=True)
    assert [p.id for p in panels] == list(PANEL_IDS)
    assert {p.id: p.state for p in panels} == {pid: "ok" for pid in PANEL_IDS}


def test_funnel_counts_drops_and_rejects(page):
    s = text_of(section(page, "funnel"))
    for stage, flow in (("ingest", "62 → 60"), ("dedupe", "60 → 48"), ("select", "48 → 15"), ("export", "15 → 15")):
        assert stage in s and flow in s
    assert "not_selected: 32" in s and "semantic_duplicate: 1" in s and "exact_duplicate: 6" in s and "near_duplicate: 6" in s
    assert "missing id" in s and "no_text" in s  # rejects.jsonl by reason
    assert "✗" not in s  # every stage adds up


def test_pii_totals_by_entity_from_the_pii_column(synth_run, page):
    s = text_of(section(page, "pii"))
    df = pl.read_parquet(synth_run.root / "redact.parquet")
    expected: dict[str, int] = {}
    for v in df["pii"]:
        for k, n in pii_counts(v).items():
            expected[k] = expected.get(k, 0) + n
    for entity, n in expected.items():
        assert re.search(rf"{entity}\s+{n}\b", s), entity
    assert f"{sum(expected.values())} entities replaced" in s
    assert "<EMAIL_ADDRESS_1>" in s  # the redacted example record


def test_duplicates_histogram_and_largest_groups_side_by_side(page):
    sec = section(page, "duplicates")
    s = text_of(sec)
    assert "6 groups of 2 or more" in s and "18 records in them" in s
    assert "<svg" in sec and "records in the group" in s
    assert s.count("3 records") >= 4  # the four largest groups
    assert sec.count('class="rec dup"') == 12 + 2 and sec.count("badge keep") == 4 + 1
    assert "--dup-group g0000" in s
    assert "Semantic duplicates" in s and "1 group; 1 record dropped as semantic_duplicate" in s
    assert "dropped: semantic_duplicate" in s


def test_cluster_map_colours_clusters_and_highlights_selected(page):
    sec = section(page, "clusters")
    dots = re.findall(r'<circle [^>]*class="(pt(?: sel)?)" data-c="(\d+)"', sec)
    assert len(dots) == 48
    assert sum(1 for cls, _ in dots if cls == "pt sel") == 15
    assert {c for _, c in dots} == {"0", "1", "2", "3", "4"}
    rows = re.findall(r'<tr class="cl-row" data-c="(\d+)"', sec)
    assert sorted(rows) == ["0", "1", "2", "3", "4"]
    assert "Question 0 about billing" in text_of(sec)  # example titles


def test_distributions_before_and_after_selection(synth_run, page):
    s = text_of(section(page, "distributions"))
    assert "before selection (48)" in s and "selected (15)" in s
    for field in ("category", "priority", "intent", "source"):
        assert field in s
    sel = pl.read_parquet(synth_run.root / "select.parquet")
    share = 100 * sel.filter(pl.col("source") == "csv:desk").height / sel.height
    assert f"{share:.1f}%" in s
    assert "requester" not in s  # free-form metadata keys are never shown


def test_agreement_per_field_confusion_and_reviewers(synth_run, page):
    sec = section(page, "agreement")
    s = text_of(sec)
    rep = json.loads((synth_run.root / "agreement.json").read_text())
    for field, v in rep["fields"].items():
        assert field in s
        assert f"{v['krippendorff_alpha']['value']:.2f}" in s
    assert sec.count('class="tbl confusion"') == 3
    counts = rep["fields"]["verdict"]["confusion"]["counts"]
    assert str(counts[0][0]) in s
    for reviewer, v in rep["reviewers"].items():
        assert reviewer in s
        assert f"{v['fields']['quality']['weighted_kappa']['quadratic']['value']:.2f}" in s
        assert f"{v['accept_rate']['value']:.2f}" in s


def test_export_tokens_histogram_and_cost(page):
    sec = section(page, "export")
    s = text_of(sec)
    assert "0.029 USD" in s and "1,200" in s and "3,600" in s
    assert "Tokens per example" in s and "<svg" in sec
    assert "Together AI" in s and "gpt-4o-mini" in s and "as of 2025-06-01" in s
    assert "Labeling cost" in s and "65.63 USD" in s and "30 × 1.75 USD" in s


def test_export_histogram_comes_from_the_exports_token_table(tmp_path):
    """The report reads the export's per-example counts; it never re-reads (or
    re-tokenises) the training files."""
    run = write_run(tmp_path / "run")
    for f in ("train.jsonl", "eval.jsonl"):
        (run.root / "export" / f).unlink()
    sec = section(render_report(run, strict=True), "export")
    assert "Tokens per example" in text_of(sec) and "<svg" in sec
    (run.root / "export" / "tokens.parquet").unlink()
    assert "Tokens per example" not in text_of(section(render_report(run, strict=True), "export"))


def test_record_text_is_escaped(page):
    assert XSS not in page
    assert "<script>console.error" not in page
    assert html.escape(XSS, quote=True) in page
    assert page.count("<script>") == 1  # the page's own


def test_raw_text_of_the_ingest_table_never_appears(page):
    for secret in RAW_SECRETS:
        assert secret not in page
        assert html.escape(secret) not in page


def test_without_redaction_no_record_text_is_shown(tmp_path):
    run = write_run(tmp_path / "run", redact=False)
    page = render_report(run, strict=True)
    assert "I have a question about" not in page and "Question 0 about" not in page
    for secret in RAW_SECRETS:
        assert secret not in page
    assert "XSS" not in page and "xss" not in page
    s = text_of(section(page, "overview"))
    assert "shows counts only" in s
    panels = {p.id: p.state for p in build_panels(run, strict=True)}
    assert panels["pii"] == "not_run" and panels["clusters"] == "ok" and panels["duplicates"] == "ok"
    assert "<h3>category" not in section(page, "distributions")  # metadata hidden too


def test_the_text_columns_of_an_unredacted_table_cannot_be_read(tmp_path):
    data = RunData(write_run(tmp_path / "run", redact=False))
    assert not data.redacted("select") and not data.redacted("ingest")
    with pytest.raises(PrivacyError):
        data.scan("select", ["id", "text"])
    assert data.scan("select", ["id", "cluster"]) is not None
    red = RunData(write_run(tmp_path / "run2"))
    assert red.redacted("select") and red.redacted("redact") and not red.redacted("ingest")
    with pytest.raises(PrivacyError):
        red.scan("ingest", ["messages"])


def test_a_build_with_only_ingest_has_the_funnel_and_notes(tmp_path):
    run = write_run(tmp_path / "run")
    m = json.loads(run.manifest_path.read_text())
    m["stages"] = {"ingest": m["stages"]["ingest"]}
    run.manifest_path.write_text(json.dumps(m))
    (run.root / "agreement.json").unlink()
    states = {p.id: p.state for p in build_panels(run, strict=True)}
    assert states["funnel"] == "ok" and states["overview"] == "ok"
    assert all(states[p] == "not_run" for p in ("pii", "duplicates", "clusters", "agreement", "export"))
    page = render_report(run, strict=True)
    assert "has not run" in text_of(section(page, "clusters"))
    assert "curate label push" in text_of(section(page, "agreement"))


def test_missing_keys_columns_and_files_never_fail(tmp_path):
    run = write_run(tmp_path / "run")
    m = json.loads(run.manifest_path.read_text())
    for e in m["stages"].values():
        e.pop("stats", None)
        e.pop("seconds", None)
    m["stages"]["export"] = {"status": "done"}  # no counts at all
    m["stages"]["embed"] = {"status": "failed", "error": "stage embed failed: OSError"}
    m.pop("config")
    run.manifest_path.write_text(json.dumps(m))
    # tables without the optional columns
    pl.read_parquet(run.root / "select.parquet").drop("proj_x", "proj_y", "rank").write_parquet(run.root / "select.parquet")
    pl.read_parquet(run.root / "dedupe.parquet").drop("dup_kind", "is_representative").write_parquet(run.root / "dedupe.parquet")
    (run.root / "agreement.json").write_text(json.dumps({"fields": [{"name": "x", "percent_agreement": 0.5}],
                                                         "reviewers": "nobody"}))
    shutil_rm(run.root / "export")
    panels = build_panels(run, strict=True)
    assert all(p.state in ("ok", "not_run") for p in panels)
    page = render_report(run, strict=True)
    assert "stage embed failed: OSError" in text_of(section(page, "funnel"))
    assert "No 2-D map" in text_of(section(page, "clusters"))


def shutil_rm(p: Path) -> None:
    import shutil

    shutil.rmtree(p, ignore_errors=True)


def test_a_damaged_table_becomes_a_note_not_an_error(tmp_path, caplog):
    run = write_run(tmp_path / "run")
    (run.root / "dedupe.parquet").write_bytes(b"PAR1 not really parquet")
    (run.root / "agreement.json").write_text("{not json")
    path = write_report(run, strict=False)
    page = path.read_text()
    assert 'id="duplicates" class="panel error"' in page
    assert "could not be drawn" in text_of(section(page, "duplicates"))
    assert 'data-state="ok"' in section_tag(page, "clusters")
    assert "agreement.json is not valid JSON" in text_of(section(page, "agreement"))
    with pytest.raises(pl.exceptions.ComputeError):
        build_panels(run, strict=True)


def section_tag(page: str, pid: str) -> str:
    m = re.search(rf'<section id="{pid}"[^>]*>', page)
    assert m
    return m.group(0)


def test_written_atomically_to_the_run_or_a_chosen_file(tmp_path, synth_run):
    rep = generate(synth_run, tmp_path / "out" / "r.html", strict=True)
    assert rep.path == tmp_path / "out" / "r.html" and rep.path.stat().st_size == rep.bytes
    assert not list((tmp_path / "out").glob(".*.tmp"))
    default = write_report(synth_run)
    assert default == synth_run.root / "report.html" and default.exists()


def test_self_contained_nothing_to_fetch(page):
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert "Content-Security-Policy" in page and "default-src 'none'" in html.unescape(page)
    assert "<link" not in page and "@import" not in page and "url(" not in page

"""The example build's report in a real headless Chromium: every panel is there and
drawn, the page logs no console error, fetches nothing, its script works, a ticket's
<script> stays text, and the personal data planted in the input appears nowhere.

The run is a real `curate build` of the example config (examples/support-tickets) over
a slice of its data plus planted rows; labels and agreement.json are written in their
documented shapes (a Label Studio server is not needed to draw the panel)."""

from __future__ import annotations

import csv
import html
import json
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml
from helpers import run_cli
from report_browser import Chromium
from report_synth import write_agreement

from curate.report import PANEL_IDS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "support-tickets"

PLANTED = {
    "email": "maria.gonzalez@example.org",
    "card": "4111 1111 1111 1111",
    "phone": "+1 415 555 0132",
    "iban": "DE89 3704 0044 0532 0130 00",
    "ip": "203.0.113.77",
}
PII_TICKET = (
    f"Hello, my card {PLANTED['card']} was charged twice for the same order. Please refund it to "
    f"IBAN {PLANTED['iban']} and write to {PLANTED['email']} or call {PLANTED['phone']}. "
    f"I logged in from {PLANTED['ip']} yesterday."
)
XSS = '<img src=x onerror="console.error(\'xss-img\')"><script>console.error("xss-script")</script> my order is late'


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("example")
    cfg = yaml.safe_load((EXAMPLE / "curate.yaml").read_text())
    src = cfg["sources"][0]
    with open(EXAMPLE / src["path"], newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))[:100]
    extra = [dict(r, id=f"{r['id']}-copy") for r in rows[:5]]  # exact duplicates
    near = dict(rows[7], id=f"{rows[7]['id']}-near")
    near["response"] = near["response"].replace(".", " indeed.", 1)  # a near duplicate
    template = rows[10]
    extra += [near,
              dict(template, id="planted-pii", instruction=PII_TICKET),
              dict(template, id="planted-xss", instruction=XSS)]
    (tmp / "data").mkdir()
    with open(tmp / src["path"], "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows + extra)
    cfg["select"]["budget"] = 40
    (tmp / "curate.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    r = run_cli("build", str(tmp / "curate.yaml"), "--runs-dir", str(tmp / "runs"), "-q")
    assert r.returncode == 0, r.stderr[-3000:]
    run = tmp / "runs" / cfg["name"]
    assert (run / "report.html").is_file()  # written at the end of the build
    selected = pl.read_parquet(run / "select.parquet", columns=["id", "selected"]).filter(pl.col("selected"))["id"]
    write_agreement(run, selected.to_list())
    r = run_cli("report", str(run))
    assert r.returncode == 0, r.stderr[-3000:]
    assert "panels: Overview, Funnel, PII, Duplicates, Clusters, Distributions, Agreement, Export" in r.stdout
    return run


@pytest.fixture(scope="module")
def browser():
    with Chromium() as b:
        yield b


def test_every_panel_in_chromium_without_console_errors(example_run, browser):
    report = example_run / "report.html"
    load = browser.load(report)
    assert load.errors == []
    assert not [c for c in load.console if "xss" in c["text"]]
    # self-contained: the page itself is the only request
    assert load.requests == [report.resolve().as_uri()]
    found = browser.evaluate(
        "Array.from(document.querySelectorAll('section.panel')).map(function (s) {"
        " var r = s.getBoundingClientRect(); return [s.id, s.dataset.state, Math.round(r.height)]; })"
    )
    assert [f[0] for f in found] == list(PANEL_IDS)
    assert {f[0]: f[1] for f in found} == {pid: "ok" for pid in PANEL_IDS}
    assert all(f[2] > 60 for f in found), found
    nav = browser.evaluate("Array.from(document.querySelectorAll('nav.toc a')).map(function (a) { return a.hash; })")
    assert nav == [f"#{p}" for p in PANEL_IDS if p != "overview"]
    # the charts are drawn: SVG with a size, dots on the map, bars in the funnel
    assert browser.evaluate("document.querySelectorAll('#clusters svg.map circle.pt').length") > 100
    assert browser.evaluate("document.querySelectorAll('#clusters svg.map circle.pt.sel').length") == 40
    assert browser.evaluate("document.querySelector('#export svg.chart').getBoundingClientRect().width") > 200
    assert browser.evaluate("document.querySelectorAll('#funnel .bars.funnel .bar-row').length") >= 6
    assert browser.evaluate("document.querySelectorAll('#agreement table.confusion').length") == 3
    assert browser.evaluate("document.querySelectorAll('#duplicates .dup-group').length") >= 2


def test_the_cluster_map_responds_to_clicks(example_run, browser):
    browser.load(example_run / "report.html")
    total = browser.evaluate("document.querySelectorAll('#clusters circle.pt').length")
    browser.evaluate("document.querySelector('#clusters tr.cl-row').click()")
    c = browser.evaluate("document.querySelector('#clusters tr.cl-row').dataset.c")
    dim = browser.evaluate("document.querySelectorAll('#clusters circle.pt.dim').length")
    mine = browser.evaluate(f"document.querySelectorAll('#clusters circle.pt[data-c=\"{c}\"]').length")
    assert dim == total - mine and mine > 0
    assert browser.evaluate("document.querySelector('#clusters tr.cl-row').classList.contains('focus')")
    browser.evaluate("document.querySelector('#clusters tr.cl-row').click()")  # again: everything back
    assert browser.evaluate("document.querySelectorAll('#clusters circle.pt.dim').length") == 0
    browser.evaluate("var cb = document.getElementById('sel-only'); cb.click();")
    shown = browser.evaluate(
        "Array.from(document.querySelectorAll('#clusters circle.pt')).filter(function (p) {"
        " return getComputedStyle(p).display !== 'none'; }).length"
    )
    assert shown == 40


def test_planted_personal_data_appears_nowhere_in_the_report(example_run):
    page = (example_run / "report.html").read_text(encoding="utf-8")
    for kind, value in PLANTED.items():
        for form in (value, html.escape(value), value.replace(" ", "")):
            assert form not in page, kind
    # the planted ticket is in the raw table, so the check above is not vacuous
    raw = "\n".join(pl.read_parquet(example_run / "ingest.parquet", columns=["text"])["text"].to_list())
    assert all(v in raw for v in PLANTED.values())


def test_a_ticket_with_markup_is_shown_as_text(example_run, browser):
    page = (example_run / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page and 'console.error("xss-script")' not in page
    assert html.escape('<img src=x onerror="console.error(') in page  # shown, escaped (map tooltips)
    load = browser.load(example_run / "report.html")
    assert not [c for c in load.console if "xss" in c["text"]] and load.errors == []


def test_screenshot_renders(example_run, browser, tmp_path):
    browser.load(example_run / "report.html")
    shot = browser.screenshot(tmp_path / "report.png", full_page=False, clip_height=900)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_report_of_a_config_path_and_to_another_file(example_run, tmp_path):
    out = tmp_path / "elsewhere" / "r.html"
    project = example_run.parent.parent  # curate.yaml beside runs/
    r = run_cli("report", "curate.yaml", "-o", str(out), cwd=project)
    assert r.returncode == 0 and out.is_file()
    assert json.loads((example_run / "manifest.json").read_text())["name"] in out.read_text()
    bad = run_cli("report", str(tmp_path / "nothing"))
    assert bad.returncode == 2 and "not a run folder" in bad.stderr
    shutil.rmtree(out.parent)

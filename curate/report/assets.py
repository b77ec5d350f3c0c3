"""The page's stylesheet and script, inlined into every report (no file is fetched)."""

CSS = """
:root{--fg:#1d2330;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--card:#fff;--accent:#4e79a7;--after:#f28e2b;
--ok:#2e7d32;--bad:#c62828;--warn:#b26a00;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
*{box-sizing:border-box}
html{scroll-padding-top:64px}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:var(--bg)}
header.top{background:#1d2330;color:#fff;padding:14px 24px 0}
header.top h1{margin:0;font-size:20px;font-weight:600}
header.top h1 small{font-weight:400;color:#aab3c5;margin-left:8px;font-size:14px}
nav.toc{position:sticky;top:0;z-index:5;background:#1d2330;padding:6px 24px 8px;display:flex;flex-wrap:wrap;gap:4px}
nav.toc a{color:#dfe6f3;text-decoration:none;padding:3px 10px;border-radius:12px;font-size:13px}
nav.toc a:hover{background:#33405a}
nav.toc a.not_run,nav.toc a.error{color:#8792a8}
nav.toc a.error{text-decoration:line-through}
main{max-width:1240px;margin:0 auto;padding:16px 20px 40px}
section.panel{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
section.panel>h2{margin:0 0 2px;font-size:18px}
section.panel>.lead{margin:0 0 12px;color:var(--muted)}
section.panel.not_run{padding:10px 20px;background:#fafafa}
section.panel.not_run>h2{font-size:15px;color:var(--muted)}
section.panel.error{border-color:#f3c2c2}
h3{font-size:14px;margin:18px 0 8px}
h3 small{font-weight:400;color:var(--muted)}
.muted{color:var(--muted)}
.hint{color:var(--muted);font-size:13px}
.desc{font-size:15px;color:var(--fg);margin:0 0 10px}
.warn-box{background:#fff7e6;border:1px solid #f5d79e;padding:8px 12px;border-radius:6px}
code{font-family:var(--mono);font-size:12px;background:#f1f3f6;padding:1px 4px;border-radius:3px}
.kpis{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 12px}
.kpi{flex:1 1 150px;border:1px solid var(--line);border-radius:6px;padding:8px 12px;background:#fbfcfd}
.kpi-value{font-size:22px;font-weight:600;font-variant-numeric:tabular-nums}
.kpi-label{font-size:12.5px;font-weight:600;color:#4b5563}
.kpi-note{font-size:12px;color:var(--muted)}
.run-meta{font-size:12px;color:var(--muted);margin-top:4px}
.run-meta b{color:var(--fg);font-weight:500}
.chips{list-style:none;display:flex;flex-wrap:wrap;gap:6px;padding:0;margin:4px 0 12px;counter-reset:s}
.chip{display:flex;flex-direction:column;border:1px solid var(--line);border-radius:6px;padding:4px 12px;min-width:96px;position:relative}
.chip-name{font-weight:600}
.chip-status{font-size:12px}
.chip.ok{border-color:#a5d6a7;background:#f1f8f1}.chip.ok .chip-status{color:var(--ok)}
.chip.bad{border-color:#ef9a9a;background:#fdf0f0}.chip.bad .chip-status{color:var(--bad)}
.chip.warn .chip-status{color:var(--warn)}
.chip.muted{opacity:.65}
.status.ok,.ok{color:var(--ok)}.status.bad,.bad{color:var(--bad)}.status.warn{color:var(--warn)}.status.muted{color:var(--muted)}
.bars{display:flex;flex-direction:column;gap:4px;margin:6px 0}
.bar-row{display:grid;grid-template-columns:minmax(90px,200px) 1fr minmax(90px,auto);gap:10px;align-items:center}
.bar-label{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-size:13px}
.bar-label.wide{min-width:200px}
.bar-track{display:flex;height:16px;background:#eef0f3;border-radius:3px;overflow:hidden}
.bar-track.empty{background:none;color:var(--bad);font-size:12px;height:auto}
.bar-fill{display:block;height:100%}
.bar-value{font-variant-numeric:tabular-nums;font-size:13px;white-space:nowrap}
.bar-value small{color:var(--muted);margin-left:6px}
.seg{display:block;height:100%}
.bars.funnel .bar-track{height:22px}
.legend{display:flex;flex-wrap:wrap;gap:14px;font-size:12px;color:var(--muted);margin:4px 0}
.legend span{display:inline-flex;align-items:center;gap:5px}
.sw{display:inline-block;width:11px;height:11px;border-radius:2px;vertical-align:-1px;margin-right:5px}
.sw.before{background:var(--accent)}.sw.after{background:var(--after)}
.sw.dot{border-radius:50%;background:#999;width:8px;height:8px}
.sw.dot.sel{width:11px;height:11px;border:2px solid #1d2330;background:#999}
.pair-row{grid-template-columns:minmax(90px,220px) 1fr}
.pair-cells{display:flex;flex-direction:column;gap:2px}
.bar-track.pair{height:10px;position:relative;overflow:visible;background:none}
.bar-fill.before{background:var(--accent)}.bar-fill.after{background:var(--after)}
.pair-value{font-size:11px;color:var(--muted);margin-left:6px;line-height:10px;white-space:nowrap}
.dist-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:8px 28px}
.tbl-wrap{overflow-x:auto;margin:8px 0}
table.tbl{border-collapse:collapse;font-size:13px;min-width:50%}
table.tbl th,table.tbl td{border-bottom:1px solid var(--line);padding:4px 10px;text-align:left;vertical-align:top}
table.tbl th{font-weight:600;background:#f7f8fa;white-space:nowrap}
table.tbl td.num,table.tbl th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.tbl caption{text-align:left;color:var(--muted);font-size:12px;padding:4px 0}
table.kv td:first-child{font-family:var(--mono);font-size:12px;color:#3a4356}
.ci{color:var(--muted);font-size:11px}
.grade{padding:1px 5px;border-radius:3px}
.grade.good{background:#e3f2e4}.grade.fair{background:#fff1d6}.grade.poor{background:#fbe0e0}
table.confusion td.cm{text-align:center;min-width:44px}
table.confusion th{white-space:nowrap}
.field-block{display:flex;flex-wrap:wrap;gap:0 28px;align-items:flex-start}
.field-block h3{flex-basis:100%}
details{margin:6px 0}
details summary{cursor:pointer;color:#33405a}
svg.chart{display:block;width:100%;max-width:720px;height:auto}
svg .grid{stroke:#eceef2;stroke-width:1}
svg .axis{stroke:#9aa3b2;stroke-width:1}
svg .tick{font-size:10px;fill:#6b7280}
svg .axis-label{font-size:11px;fill:#4b5563}
.map-grid{display:grid;grid-template-columns:minmax(320px,560px) 1fr;gap:20px;align-items:start}
@media (max-width:900px){.map-grid{grid-template-columns:1fr}}
svg.map{max-width:560px;border:1px solid var(--line);border-radius:6px;cursor:crosshair}
svg.map .map-bg{fill:#fcfcfd}
svg.map .pt{opacity:.55}
svg.map .pt.sel{opacity:1;stroke:#1d2330;stroke-width:1.3}
svg.map .pt.dim{opacity:.06}
svg.map .pt.sel.dim{opacity:.12}
svg.map.sel-only .pt:not(.sel){display:none}
.map-controls{display:flex;gap:16px;align-items:center;font-size:12px;color:var(--muted);margin:6px 0}
.cl-table{max-height:600px;overflow-y:auto}
tr.cl-row{cursor:pointer}
tr.cl-row:hover,tr.cl-row:focus{background:#f3f6fb;outline:none}
tr.cl-row.focus{background:#e6eefa}
ul.examples{margin:0;padding-left:16px;font-size:12px}
ul.examples li{overflow:hidden;text-overflow:ellipsis;max-width:520px}
.dup-group{margin:10px 0 18px}
.group-head{margin-bottom:6px;font-size:13px}
.side-by-side{display:flex;gap:10px;overflow-x:auto;padding-bottom:6px}
.rec{border:1px solid var(--line);border-radius:6px;padding:8px 10px;background:#fcfcfd;font-size:12.5px;max-width:760px}
.rec.dup{flex:0 0 300px;max-height:360px;overflow-y:auto}
.rec-head{display:flex;gap:8px;align-items:center;margin-bottom:4px;flex-wrap:wrap}
.rec-id{font-family:var(--mono);font-size:11px;color:var(--muted);word-break:break-all}
.rec-title{font-weight:600;margin-bottom:4px}
.turn{white-space:pre-wrap;word-wrap:break-word;margin:3px 0}
.turn .role{display:inline-block;font-size:10px;text-transform:uppercase;letter-spacing:.04em;color:#fff;background:#8a94a6;border-radius:3px;padding:0 4px;margin-right:6px}
.turn.assistant .role{background:#4e79a7}.turn.system .role{background:#6b6b6b}
.badge{font-size:11px;border-radius:3px;padding:0 6px}
.badge.keep{background:#e3f2e4;color:#1b5e20}.badge.drop{background:#fbe0e0;color:#8e1c1c}
ul.notes{font-size:13px;color:var(--muted)}
footer{color:var(--muted);font-size:12px;text-align:center;padding:10px 0 30px}
@media print{nav.toc{position:static}section.panel{break-inside:avoid}}
"""

#: kept small and dependency-free; its hash goes into the page's Content-Security-Policy
JS = """(function () {
  var svg = document.querySelector('#clusters svg.map');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#clusters tr.cl-row'));
  function focus(c) {
    if (!svg) { return; }
    var on = svg.getAttribute('data-focus') === c ? '' : c;
    svg.setAttribute('data-focus', on);
    Array.prototype.forEach.call(svg.querySelectorAll('circle.pt'), function (p) {
      p.classList.toggle('dim', on !== '' && p.getAttribute('data-c') !== on);
    });
    rows.forEach(function (r) { r.classList.toggle('focus', r.getAttribute('data-c') === on); });
  }
  rows.forEach(function (r) {
    r.addEventListener('click', function () { focus(r.getAttribute('data-c')); });
    r.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); focus(r.getAttribute('data-c')); }
    });
  });
  if (svg) {
    svg.addEventListener('click', function (e) {
      var c = e.target && e.target.getAttribute ? e.target.getAttribute('data-c') : null;
      if (c !== null) { focus(c); }
    });
  }
  var only = document.getElementById('sel-only');
  if (only && svg) {
    only.addEventListener('change', function () { svg.classList.toggle('sel-only', only.checked); });
  }
})();
"""

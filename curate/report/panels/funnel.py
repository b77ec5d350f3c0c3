"""The funnel: records in and out of every stage, what each dropped and why, rejects,
timings and each stage's own figures."""

from __future__ import annotations

from typing import Any

from curate.report.charts import DROP_COLOURS, KEPT, Bar, Segment, hbars, stacked_bar
from curate.report.data import RunData
from curate.report.html import Html, fmt_int, fmt_pct, fmt_seconds, is_number, join, tag
from curate.report.panels.base import Panel, details, kpis, note, stats_table, table

REJECTED = "#7f7f7f"
STATUS_CLASS = {"done": "ok", "failed": "bad", "running": "warn", "disabled": "muted"}


def _n(e: dict[str, Any], key: str) -> int | None:
    v = e.get(key)
    return int(v) if is_number(v) else None


def build(data: RunData) -> Panel:
    stages = data.ordered_stages()
    if not stages:
        return Panel("funnel", "Funnel", note("No stage has run yet."), state="not_run")

    # one colour per drop reason, the same in every row
    reasons: list[str] = []
    for s in stages:
        for r in (data.stages[s].get("dropped") or {}):
            if r not in reasons:
                reasons.append(str(r))
    rcol = {r: DROP_COLOURS[i % len(DROP_COLOURS)] for i, r in enumerate(reasons)}
    top = max((_n(data.stages[s], "records_in") or 0 for s in stages), default=0) or 1

    rows = []
    trows = []
    for s in stages:
        e = data.stages[s]
        status = str(e.get("status") or "")
        n_in, n_out, rej = _n(e, "records_in"), _n(e, "records_out"), _n(e, "rejected") or 0
        dropped = {str(k): int(v) for k, v in (e.get("dropped") or {}).items() if is_number(v)}
        status_tag = tag("span", status, class_=f"status {STATUS_CLASS.get(status, '')}")
        if n_in is not None and n_out is not None:
            segs = [Segment("kept", n_out, KEPT)]
            segs += [Segment(r, n, rcol[r]) for r, n in dropped.items()]
            segs.append(Segment("rejected", rej, REJECTED))
            bar = stacked_bar(segs, top)
            figure = tag("span", f"{fmt_int(n_in)} → {fmt_int(n_out)}", class_="bar-value")
        else:
            bar = tag("span", e.get("error") or status, class_="bar-track empty")
            figure = tag("span", "", class_="bar-value")
        rows.append(tag("div", tag("span", s, class_="bar-label"), bar, figure, class_="bar-row"))

        ok = None
        if n_in is not None and n_out is not None:
            ok = n_in == n_out + sum(dropped.values()) + rej
        drops_txt = ", ".join(f"{r}: {fmt_int(n)}" for r, n in sorted(dropped.items(), key=lambda x: -x[1]))
        if status == "failed":
            drops_txt = f"failed: {e.get('error', '')}"
        trows.append([
            s, status_tag, fmt_int(n_in), fmt_int(n_out), drops_txt or ("—" if status == "done" else ""),
            fmt_int(rej) if status == "done" else "",
            fmt_seconds(e.get("seconds")) if "seconds" in e else "",
            Html("") if ok is None else tag("span", "✓" if ok else "✗", class_="ok" if ok else "bad",
                                             title="records in = out + dropped + rejected" if ok else "the counts do not add up"),
        ])

    legend = [tag("span", tag("i", class_="sw", style=f"background:{KEPT}"), "kept")]
    legend += [tag("span", tag("i", class_="sw", style=f"background:{rcol[r]}"), r) for r in reasons]
    if any((_n(data.stages[s], "rejected") or 0) for s in stages):
        legend.append(tag("span", tag("i", class_="sw", style=f"background:{REJECTED}"), "rejected"))

    first = next((data.stages[s] for s in stages if _n(data.stages[s], "records_in") is not None), {})
    last_done = [s for s in stages if data.entry(s) and _n(data.stages[s], "records_out") is not None]
    final = data.stages[last_done[-1]] if last_done else {}
    total_drop = sum(
        int(v) for s in stages for v in (data.stages[s].get("dropped") or {}).values() if is_number(v)
    )
    total_rej = sum(_n(data.stages[s], "rejected") or 0 for s in stages)
    seconds = sum(float(data.stages[s].get("seconds") or 0) for s in stages if is_number(data.stages[s].get("seconds")))
    body = [
        kpis([
            ("inputs read", _n(first, "records_in"), f"by {stages[0]}"),
            ("records out", _n(final, "records_out"),
             f"after {last_done[-1]} ({fmt_pct(_n(final, 'records_out'), _n(first, 'records_in'))})" if last_done else ""),
            ("dropped", total_drop, "with a reason, see below"),
            ("rejected", total_rej, "could not become a record"),
            ("build time", fmt_seconds(seconds), "all stages"),
        ]),
        tag("div", join(legend), class_="legend"),
        tag("div", join(rows), class_="bars funnel"),
        table(["stage", "status", "in", "out", "dropped (by reason)", "rejected", "time", "adds up"], trows,
              num=(2, 3, 5, 6)),
    ]

    # every drop reason, largest first
    drop_bars = [
        Bar(f"{s}: {r}", int(n), colour=rcol[str(r)], note=fmt_pct(int(n), _n(data.stages[s], "records_in")))
        for s in stages for r, n in (data.stages[s].get("dropped") or {}).items() if is_number(n) and n
    ]
    if drop_bars:
        drop_bars.sort(key=lambda b: -b.value)
        body += [tag("h3", "Dropped, by reason"), hbars(drop_bars, label_class="wide")]

    rej = data.rejects
    if rej is not None and rej.height:
        rrows = []
        for r in rej.head(20).iter_rows(named=True):
            rrows.append([r.get("status") or "rejected", r.get("source") or "", r.get("reason") or "", fmt_int(r["n"])])
        more = rej.height - 20
        body += [
            tag("h3", "Inputs that did not become records"),
            table(["status", "source", "reason", "inputs"], rrows, num=(3,)),
            note(Html(("…and " + fmt_int(more) + " more reasons. " if more > 0 else "")
                      + "Each one with its file and line: ") + tag("code", f"curate inspect {data.root} --rejects")),
        ]

    timing = [Bar(s, float(data.stages[s]["seconds"]), shown=fmt_seconds(data.stages[s]["seconds"]), colour=KEPT)
              for s in stages if is_number(data.stages[s].get("seconds"))]
    if timing:
        body += [tag("h3", "Time per stage"), hbars(timing)]

    stat_blocks = [details(f"{s}: figures", stats_table(data.stages[s].get("stats")))
                   for s in stages if isinstance(data.stages[s].get("stats"), dict) and data.stages[s]["stats"]]
    if stat_blocks:
        body += [tag("h3", "Each stage's figures"), join(stat_blocks)]
    return Panel(
        "funnel", "Funnel", join(body),
        lead="How many records entered and left each stage, and why the others were dropped. "
             "Every stage checks that records in = out + dropped + rejected.",
    )

"""Assembling the panels into one self-contained HTML page.

The page carries a Content-Security-Policy that allows nothing to load from anywhere and
only its own inline script (by hash): even if some text escaped escaping, no script in
it could run and nothing could be fetched."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence

from curate import __version__
from curate.report.assets import CSS, JS
from curate.report.html import Html, esc, join, tag
from curate.report.panels.base import Panel


def _csp() -> str:
    digest = base64.b64encode(hashlib.sha256(JS.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def render_page(title: str, subtitle: str, panels: Sequence[Panel], generated_at: str) -> str:
    nav = join(
        tag("a", p.title, href=f"#{p.id}", class_=p.state if p.state != "ok" else None,
            title={"not_run": "its stage has not run", "error": "could not be drawn"}.get(p.state))
        for p in panels if p.id != "overview"
    )
    sections = join(
        tag(
            "section",
            tag("h2", p.title) if p.id != "overview" else None,
            tag("p", p.lead, class_="lead") if p.lead else None,
            p.body,
            id=p.id, class_="panel" if p.state == "ok" else f"panel {p.state}", data_panel=p.id, data_state=p.state,
        )
        for p in panels
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(_csp())}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · curate report</title>"
        f"<style>{CSS}</style></head><body>"
        + tag("header", tag("h1", title, tag("small", subtitle)), class_="top")
        + tag("nav", nav, class_="toc")
        + Html(f"<main>{sections}</main>")
        + tag("footer", f"curate {__version__} · report generated {generated_at} · "
                        "self-contained: it loads nothing from the network")
        + f"<script>{JS}</script></body></html>\n"
    )

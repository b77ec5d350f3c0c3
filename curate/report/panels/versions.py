"""Changes since the last version (``runs/<name>/versions/``): the latest export against
its parent, as ``curate diff RUN`` shows them: added, removed by reason, changed by kind,
moved between splits, per stratum. Optional: only when the run has two versions or more.
Shows counts and reasons, never record text."""

from __future__ import annotations

from curate.report.data import RunData
from curate.report.html import Html, fmt_int, join, tag
from curate.report.panels.base import Panel, kpis, note, table


def build(data: RunData) -> Panel | None:
    from curate.errors import CurateError
    from curate.versions.diff import diff_versions
    from curate.versions.store import load_version, read_index

    try:
        index = read_index(data.root)
    except CurateError:
        return None
    latest = max((e for e in index), key=lambda e: int(e["version"]), default=None)
    if latest is None or not latest.get("parent"):
        return None
    new = load_version(data.root, int(latest["version"]))
    old = load_version(data.root, int(latest["parent"]))
    d = diff_versions(old, new, latest=True)
    c = d["counts"]
    parts: list[Html] = [kpis([
        ("examples", c["after"], f"v{old.number}: {fmt_int(c['before'])}"),
        ("added", c["added"], ""), ("removed", c["removed"], ""),
        ("changed", c["changed"], ""), ("moved between splits", c["moved"], ""),
    ])]
    if d["removed_by_reason"]:
        parts.append(table(["removed because", "examples"], list(d["removed_by_reason"].items()), num=[1]))
    if d["changed_by_kind"]:
        parts.append(table(["changed", "examples"], list(d["changed_by_kind"].items()), num=[1]))
    if d["moved_by_splits"]:
        parts.append(table(["moved", "examples"], list(d["moved_by_splits"].items()), num=[1]))
    strata = d.get("strata") or {}
    if strata:
        kinds = ("added", "removed", "changed", "moved")
        parts.append(table(["stratum", *kinds], [(s, *(n.get(k, 0) for k in kinds)) for s, n in strata.items()],
                           num=[1, 2, 3, 4], caption="per stratum"))
    parts.append(note(tag("span", f"`curate diff {data.root}` lists every example by id; "
                                  f"`curate versions {data.root}` lists the versions.")))
    return Panel("versions", "Changes since the last version", join(parts),
                 lead=f"v{new.number} (exported {new.entry.get('created_at') or '?'}) against its parent v{old.number}.")

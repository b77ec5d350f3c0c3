"""`curate diff RUN [--from V --to V]` and `curate diff RUN_A RUN_B`: what changed between
two dataset versions; `curate versions RUN [--recreate N -o DIR]`: the run's versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from curate.cli.common import console, open_run
from curate.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("diff")(diff_cmd)
    app.command("versions")(versions_cmd)


def _version_number(text: str | None, option: str) -> int | None:
    if text is None:
        return None
    t = text.strip().lower().removeprefix("v")
    if not t.isdigit() or int(t) < 1:
        raise InputError(f"{option}: expected a version like v2 or 2, got {text!r}")
    return int(t)


def diff_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder or the curate.yaml that builds it.", show_default=False),
    other: Path = typer.Argument(None, metavar="[RUN_B]", help="A second run folder: compare RUN's version with this run's.", show_default=False),
    from_: str = typer.Option(None, "--from", help="The older version (default: the newer one's parent, or RUN's latest when RUN_B is given)."),
    to: str = typer.Option(None, "--to", help="The newer version (default: the latest)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole diff as JSON (ids included)."),
    ids: bool = typer.Option(False, "--ids", help="List the ids of every added, removed, changed and moved example."),
) -> None:
    """What changed between two versions of a dataset (every export of a run is one).

    Examples added, removed (with the reason: deduplicated, rejected_by_reviewers,
    no_longer_selected, quarantined, ...), changed (relabeled, corrected_response,
    different_text, rendered_differently; from content hashes) and moved between splits,
    with counts per stratum. Without RUN_B, the two versions are of RUN: --to (default the
    latest) against --from (default its parent)."""
    from curate.versions.diff import diff_versions
    from curate.versions.store import load_version, read_index

    run = open_run(run_path)
    if other is None:
        new = load_version(run.root, _version_number(to, "--to"))
        n_from = _version_number(from_, "--from")
        if n_from is None:
            n_from = new.entry.get("parent")
            if n_from is None:
                raise InputError(f"{run.root}: v{new.number} is the first version; nothing to compare it with (--from)")
        old = load_version(run.root, n_from)
        latest = new.number == max(int(e["version"]) for e in read_index(run.root))
    else:
        run_b = open_run(other)
        old = load_version(run.root, _version_number(from_, "--from"))
        new = load_version(run_b.root, _version_number(to, "--to"))
        latest = new.number == max(int(e["version"]) for e in read_index(run_b.root))
    d = diff_versions(old, new, latest=latest)
    if as_json:
        typer.echo(json.dumps(d, indent=2, ensure_ascii=False))
        return
    _print(d, ids)


def _print(d: dict[str, Any], ids: bool) -> None:
    f, t, c = d["from"], d["to"], d["counts"]
    where = "" if f["run"] == t["run"] else f" ({f['run']} → {t['run']})"
    console.print(f"[bold]v{f['version']} → v{t['version']}[/]{where}: {c['before']:,} → {c['after']:,} examples", highlight=False)
    console.print(f"  added    {c['added']:,}", highlight=False)
    console.print(f"  removed  {c['removed']:,}" + _by(d["removed_by_reason"]), highlight=False)
    console.print(f"  changed  {c['changed']:,}" + _by(d["changed_by_kind"]), highlight=False)
    console.print(f"  moved    {c['moved']:,}" + _by(d["moved_by_splits"]), highlight=False)
    console.print(f"  unchanged {c['unchanged']:,}", highlight=False)
    strata = d.get("strata") or {}
    if len(strata) > 1 or (strata and "(all)" not in strata):
        console.print("per stratum:", highlight=False)
        for s, n in strata.items():
            console.print(f"  {s}: " + ", ".join(f"{k} {v:,}" for k, v in n.items()), highlight=False)
    if ids:
        for i in d["added"]:
            console.print(f"+ {i}", highlight=False)
        for r in d["removed"]:
            console.print(f"- {r['id']} ({r['reason']})", highlight=False)
        for ch in d["changed"]:
            console.print(f"~ {ch['id']} ({', '.join(ch['kinds'])})", highlight=False)
        for m in d["moved"]:
            console.print(f"> {m['id']} ({m['from']} -> {m['to']})", highlight=False)


def _by(counts: dict[str, int]) -> str:
    return f" ({', '.join(f'{k} {v:,}' for k, v in counts.items())})" if counts else ""


def versions_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder or the curate.yaml that builds it.", show_default=False),
    recreate: str = typer.Option(None, "--recreate", help="Re-create this version's training files (e.g. v1) into --out."),
    out: Path = typer.Option(None, "--out", "-o", help="Folder for --recreate (new or empty)."),
    as_json: bool = typer.Option(False, "--json", help="Print the version list as JSON."),
) -> None:
    """The run's dataset versions (every export is one), or re-create an earlier one.

    A version keeps its manifest and its example ids with split, label state and content
    hashes (runs/NAME/versions/). --recreate writes the version's files: exactly when it
    kept its text (export.versions.keep_text), else rebuilt from the run's current tables
    and labels, with every example that came back different or not at all listed in
    recreated.json."""
    from curate.versions.store import read_index

    run = open_run(run_path)
    if recreate is not None:
        from curate.versions.recreate import recreate as do_recreate

        n = _version_number(recreate, "--recreate")
        if out is None:
            raise InputError("--recreate needs --out DIR: the folder to write the version's files into")
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise InputError(f"{out}: not a new or empty folder; choose another for the re-created version")
        r = do_recreate(run.root, int(n), out)
        how = "exactly (its text was kept)" if r["exact"] else "from the run's current tables and labels"
        console.print(f"v{r['version']}: {r['examples']:,} examples re-created {how} → [bold]{out}[/]", highlight=False)
        if not r["exact"]:
            console.print(f"  identical {r['identical']:,}, changed since {len(r['changed']):,}, gone {len(r['gone']):,} "
                          "(ids in recreated.json)", highlight=False)
        return
    index = read_index(run.root)
    if as_json:
        typer.echo(json.dumps(index, indent=2, ensure_ascii=False))
        return
    if not index:
        console.print(f"{run.root}: no versions yet (every export records one)", highlight=False)
        return
    for e in index:
        parent = f"v{e['parent']}" if e.get("parent") else "-"
        ch = e.get("changes") or {}
        what = (f"+{ch.get('added', 0):,} -{ch.get('removed', 0):,} ~{ch.get('changed', 0):,} >{ch.get('moved', 0):,}"
                if ch else "")
        console.print(f"v{e['version']}  {e.get('created_at') or '?'}  parent {parent}  {e.get('examples', 0):,} examples  "
                      f"{json.dumps(e.get('splits') or {})}  {what}  → {e.get('out')}", highlight=False)

"""`curate label ...`: two-reviewer labeling in Label Studio.

serve → reviewers add → push → (reviewers label in the browser) → pull → adjudicate.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.table import Table

from curate.errors import InputError

HELP = """Two-reviewer labeling in Label Studio: every selected record is reviewed by two people
independently; disagreements go to a third.

Typical session:

1. `curate label serve` starts a local Label Studio (or set CURATE_LS_URL and CURATE_LS_TOKEN
   to use an existing server).
2. `curate label reviewers add ann@example.com bob@example.com` creates the accounts.
3. `curate label push runs/NAME` creates the project and imports the selected records.
4. Reviewers label in the browser.
5. `curate label pull runs/NAME` fetches the labels, then `curate agreement runs/NAME`.
6. Disagreements go to the adjudication project; the next pull picks the decisions up.
7. `curate export runs/NAME -o out/` writes what the export policy accepts.
"""

label_app = typer.Typer(help=HELP, no_args_is_help=True, rich_markup_mode="markdown")
reviewers_app = typer.Typer(help="Reviewer accounts on the Label Studio server.", no_args_is_help=True)
label_app.add_typer(reviewers_app, name="reviewers")


def register(app: typer.Typer) -> None:
    app.add_typer(label_app, name="label")


DATA_DIR_HELP = "Folder of the local server's state (default: $CURATE_LS_DATA_DIR or .labelstudio)."


def _console():
    from curate.cli.common import console

    return console


#: the config sections a label command takes its settings from (the label section: task,
#: categories, labels, agreement rule, export policy, gates...)
LABEL_SECTIONS = ("label",)


def _open_run(run_path: Path):
    """(run folder, run name, label config, base dir) from a run folder or its curate.yaml,
    by the rule every command follows (:func:`curate.cli.common.run_settings`): a config
    file given is the one used; where it and the run's stored config differ in the label
    settings (or in those that built the run's tables), one line says so."""
    from pydantic import ValidationError

    from curate.cli.common import err_console, run_settings
    from curate.labelstudio.config import LabelConfig

    settings = run_settings(Path(run_path))
    note = settings.note(LABEL_SECTIONS)
    if note:
        err_console.print(note, highlight=False, soft_wrap=True)
    raw = settings.config.get("label") or {}
    try:
        label = LabelConfig.model_validate(raw)
    except ValidationError as exc:  # one line, naming the key
        first = exc.errors()[0]
        loc = ".".join(str(x) for x in first.get("loc", ()))
        where = "in the run's stored config" if settings.config_file is None or settings.stored else str(settings.config_file)
        raise InputError(f"{settings.run.root}: label.{loc}: {first.get('msg')} ({where})") from None
    name = settings.config.get("name") or settings.run.manifest().get("name") or settings.run.root.name
    return settings.run, name, label, settings.base_dir


# -- serve ------------------------------------------------------------------------------


@label_app.command("serve")
def serve_cmd(
    port: int = typer.Option(None, "--port", "-p", min=1, max=65535, help="Port (default: the last one used, else 8080, else a free one)."),
    host: str = typer.Option(
        None, "--host", show_default=False,
        help="Address to listen on: 127.0.0.1 (default: this machine only), an address of this machine, or 0.0.0.0 "
        "for every interface. Anything but loopback lets other machines reach the server over plain HTTP.",
    ),
    public_url: str = typer.Option(
        None, "--public-url",
        help="The address reviewers open, when a reverse proxy (with TLS) forwards to this server: printed as the "
        "login link and trusted for sign-in (e.g. https://labels.acme.example).",
    ),
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    stop: bool = typer.Option(False, "--stop", help="Stop the local server (its port is kept for the next start)."),
    status: bool = typer.Option(False, "--status", help="Say whether the local server runs, and where."),
) -> None:
    """Start a local Label Studio in the background: its own virtual environment
    (.venv-labelstudio), SQLite, no outside connections, listening on 127.0.0.1 unless
    --host says otherwise.

    The admin account comes from CURATE_LS_ADMIN_EMAIL and CURATE_LS_ADMIN_PASSWORD at the
    first start (generated when unset, and kept in DATA_DIR/credentials.json, readable by
    you only). The first start takes about half a minute (database setup). For reviewers on
    other machines see docs/labeling.md, "Running Label Studio for a team".
    """
    from curate.labelstudio.server import LS_VERSION, LocalServer, is_loopback

    console = _console()
    server = LocalServer(data_dir)
    if stop:
        if server.stop():
            console.print(f"Label Studio stopped (data kept in {server.data_dir})", highlight=False)
        else:
            console.print(f"no local Label Studio running from {server.data_dir}", highlight=False)
        return
    if status:
        st = server.state()
        if st is None:
            console.print(f"not running (data folder {server.data_dir})", highlight=False)
            raise typer.Exit(1)
        console.print(f"running at {st.browser_url} (pid {st.pid}, listening on {st.host}:{st.port}, data in {server.data_dir})",
                      highlight=False)
        return
    host = _check_host(host) if host is not None else None
    if public_url is not None:
        public_url = _check_public_url(public_url)
    first = server.credentials(create=False) is None
    already = server.state()
    if not already:
        console.print(
            f"starting Label Studio {LS_VERSION} from {server.data_dir}"
            + (" (first start: setting up the database, about 30 s)" if first else ""),
            highlight=False,
        )

    def progress(seconds: float, what: str) -> None:
        console.print(f"  … {seconds:.0f} s: {what}", highlight=False)

    st = server.start(port=port, host=host, public_url=public_url, progress=progress)
    creds = server.credentials()
    assert creds is not None
    console.print(("already running" if already else "Label Studio is running") + f" at [bold]{st.browser_url}[/]",
                  highlight=False)
    console.print(f"  log in at   {st.browser_url}/user/login/", highlight=False)
    console.print(f"  log in as   {creds.email}", highlight=False)
    if first and not os.environ.get("CURATE_LS_ADMIN_PASSWORD"):
        console.print(f"  password    {creds.password}   (generated; also in {server.credentials_path})", highlight=False)
    else:
        console.print(f"  password    in {server.credentials_path}", highlight=False)
    if st.public_url and st.public_url != st.url:
        console.print(f"  curate uses {st.url}", highlight=False)
    console.print("  stop with   curate label serve --stop" + (f" --data-dir {data_dir}" if data_dir else ""), highlight=False)
    if not is_loopback(st.host):
        console.print(
            f"[yellow]warning[/]: listening on {st.host}:{st.port}: anyone who can reach this machine can open this "
            "Label Studio. It speaks plain HTTP, so passwords and session cookies cross the network unencrypted. "
            "New accounts need the invite link (sign-up without it is off). Prefer an SSH tunnel or a reverse proxy "
            "with TLS: docs/labeling.md, \"Running Label Studio for a team\".",
            highlight=False,
        )
    elif st.public_url and st.public_url.startswith("http://"):
        console.print(
            f"[yellow]warning[/]: {st.public_url} is plain HTTP: passwords cross the network unencrypted; "
            "give the proxy a TLS certificate (https://)", highlight=False,
        )


def _check_host(host: str) -> str:
    """An IPv4 address or localhost; one line otherwise."""
    import ipaddress

    host = host.strip()
    if host == "localhost":
        return "127.0.0.1"
    try:
        return str(ipaddress.IPv4Address(host))
    except ValueError:
        raise InputError(
            f"--host {host!r}: give an IPv4 address of this machine, 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)"
        ) from None


def _check_public_url(url: str) -> str:
    import httpx

    try:
        parsed = httpx.URL(url.strip())
    except (httpx.InvalidURL, ValueError, TypeError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise InputError(f"--public-url {url!r}: give the full address reviewers open, like https://labels.acme.example")
    return str(parsed).rstrip("/")


# -- reviewers -------------------------------------------------------------------------


@reviewers_app.command("add")
def reviewers_add_cmd(
    emails: list[str] = typer.Argument(..., metavar="EMAIL...", help="Email addresses of the reviewers."),
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    credentials: Path = typer.Option(
        None, "--credentials",
        help="Add the new logins to this JSON file (created readable by you only; logins already in it are kept) "
        "instead of printing the passwords.",
    ),
) -> None:
    """Create reviewer accounts and print how each logs in.

    Accounts are created through the organization's invite link with a generated password
    (the reviewer can change it under Account & Settings). Existing accounts are left as
    they are.
    """
    from curate.labelstudio.connection import open_client
    from curate.labelstudio.reviewers import add_reviewers, save_logins

    console = _console()
    with open_client(None, data_dir) as client:
        added = add_reviewers(client, emails)
        url = client.connection.browser_url  # what the reviewers open, not necessarily what curate uses
    table = Table()
    table.add_column("email")
    table.add_column("account")
    table.add_column("password")
    for r in added:
        if not r.created:
            table.add_row(r.email, "exists already", "unchanged")
        else:
            table.add_row(r.email, "created", r.password if credentials is None else f"in {credentials}")
    if credentials is not None:
        save_logins(credentials, url, [(r.email, r.password) for r in added if r.created and r.password])
    # a line of its own: a table title wraps at the table's width, and this link is copied
    console.print(f"reviewers log in at {url}/user/login/", highlight=False, soft_wrap=True)
    console.print(table)


@reviewers_app.command("reset")
def reviewers_reset_cmd(
    email: str = typer.Argument(..., metavar="EMAIL", help="The reviewer's email address (their login)."),
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    credentials: Path = typer.Option(
        None, "--credentials",
        help="Put the new login in this JSON file (readable by you only; other logins in it are kept) instead of printing it.",
    ),
) -> None:
    """Give a reviewer who forgot their password a new, generated one (local server).

    Runs Label Studio's own reset_password command on the local server's data folder, in
    the server's clean environment (it crashes with Label Studio's default error-reporting
    settings). Works whether the server runs or not. For a team server used through
    CURATE_LS_URL, an admin resets the password on that server (docs/labeling.md).
    """
    from curate.labelstudio.connection import ENV_URL
    from curate.labelstudio.reviewers import generate_password, reset_password, save_logins
    from curate.labelstudio.server import LocalServer

    if os.environ.get(ENV_URL):
        raise InputError(
            f"reviewers reset works on the local server of `curate label serve`; {ENV_URL} points at "
            f"{os.environ[ENV_URL]}, where an admin resets it (docs/labeling.md, \"Password resets\")"
        )
    console = _console()
    server = LocalServer(data_dir)
    password = generate_password()
    reset_password(server, email, password)
    st = server.state() or server.recorded()
    url = st.browser_url if st is not None else None
    where = f"; log in at {url}/user/login/" if url else ""
    if credentials is not None:
        save_logins(credentials, url or "", [(email.strip().lower(), password)])
        console.print(f"new password for {email.strip().lower()} in {credentials}{where}", highlight=False)
    else:
        console.print(f"new password for {email.strip().lower()}: {password}{where}", highlight=False)


@reviewers_app.command("list")
def reviewers_list_cmd(data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP)) -> None:
    """List the accounts of the Label Studio organization."""
    from curate.labelstudio.connection import open_client

    with open_client(None, data_dir) as client:
        users = client.users()
    table = Table()
    table.add_column("id", justify="right")
    table.add_column("email")
    table.add_column("last activity")
    for u in users:
        table.add_row(str(u.get("id")), str(u.get("email")), str(u.get("last_activity") or ""))
    _console().print(table)


# -- push / pull / adjudicate -----------------------------------------------------------


@label_app.command("push")
def push_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder (runs/<name>) or its curate.yaml."),
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    limit: int = typer.Option(None, "--limit", min=1, help="Push only the first N selected records (by selection rank)."),
    allow_unredacted: bool = typer.Option(
        False, "--allow-unredacted",
        help="Push even though the run's redact stage is disabled or did not run (reviewers see the raw text).",
    ),
) -> None:
    """Create or update the review project and import the selected records.

    Each task needs two annotations by two different reviewers. Safe to repeat: a record
    already in the project is never imported again, so re-running after new records were
    selected (or after an interrupted push) adds only what is missing. A run built without
    redaction is refused unless --allow-unredacted.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from curate.labelstudio.connection import open_client
    from curate.labelstudio.push import check_redacted, push

    console = _console()
    run, name, cfg, base_dir = _open_run(run_path)
    check_redacted(run, allow_unredacted)  # before connecting: nothing to fix on the server
    with open_client(cfg, data_dir) as client, Progress(
        TextColumn("importing"), BarColumn(), MofNCompleteColumn(), console=console, transient=True,
    ) as bar:
        task = bar.add_task("import", total=None)
        res = push(run, name, cfg, client, base_dir=base_dir, limit=limit, allow_unredacted=allow_unredacted,
                   progress=lambda done, total: bar.update(task, completed=done, total=total))
    what = "created" if res.created else ("updated: " + ", ".join(res.settings_changed) if res.settings_changed else "up to date")
    console.print(f"project {res.project_id} ({what}): {res.project_url}", highlight=False)
    console.print(
        f"{res.selected:,} selected records: {res.imported:,} imported, {res.already:,} already in the project"
        + (f", {sum(res.not_reviewable.values()):,} left out (" + ", ".join(f"{k}: {v}" for k, v in res.not_reviewable.items()) + ")" if res.not_reviewable else ""),
        highlight=False,
    )
    if res.no_longer_selected:
        console.print(f"[yellow]note[/]: {res.no_longer_selected:,} tasks in the project are for records no longer selected (left in place)", highlight=False)
    if res.duplicated_in_project:
        console.print(f"[yellow]warning[/]: {res.duplicated_in_project:,} record ids have more than one task (imported outside curate?); pull counts the first", highlight=False)


@label_app.command("pull")
def pull_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder (runs/<name>) or its curate.yaml."),
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
    adjudicate: bool = typer.Option(None, "--adjudicate/--no-adjudicate", help="Queue new disagreements for adjudication (default: label.adjudication.on_pull)."),
    show_warnings: int = typer.Option(10, "--warnings", min=0, help="How many warnings to print (all are in labels/pull.json)."),
) -> None:
    """Fetch the annotations made since the last pull and rebuild the run's labels.

    Writes labels/raw/<time>.json (what was fetched), labels/labels.parquet (one row per
    counted annotation and field), labels/fields.json (level of each field) and
    labels/decisions.parquet (agreed / adjudicated / majority / disagreed / pending per
    record). Only the first annotation of each of two distinct reviewers counts; extra or
    impersonated annotations are reported.
    """
    from curate.labelstudio.connection import open_client
    from curate.labelstudio.pull import pull

    console = _console()
    run, name, cfg, base_dir = _open_run(run_path)
    with open_client(cfg, data_dir) as client:
        res = pull(run, name, cfg, client, base_dir=base_dir, adjudicate=adjudicate)
    changed = ", ".join(f"{k}: {v}" for k, v in res.changed.items())
    console.print(
        f"fetched {changed or 'nothing'} new or changed task(s)" + (f" → {res.raw_path}" if res.raw_path else " (no changes since the last pull)"),
        highlight=False,
    )
    console.print(
        f"{res.tasks:,} tasks, {res.annotations_counted:,} counted annotations, {res.labels:,} labels → {run.root / 'labels'}",
        highlight=False,
    )
    table = Table(title="records by status", title_justify="left")
    for s in res.status:
        table.add_column(s, justify="right")
    table.add_row(*(f"{v:,}" for v in res.status.values()))
    console.print(table)
    notable = {k: v for k, v in res.counts.items() if v}
    if notable:
        console.print("not counted: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(notable.items())), highlight=False)
    for w in res.warnings[:show_warnings]:
        console.print(f"[yellow]warning[/]: {w}", highlight=False)
    if len(res.warnings) > show_warnings:
        console.print(f"… {len(res.warnings) - show_warnings} more warnings in {run.root / 'labels' / 'pull.json'}", highlight=False)
    if res.adjudication is not None and res.adjudication.project_id is not None:
        console.print(
            f"adjudication: {res.adjudication.queued:,} new disagreement(s) queued in project {res.adjudication.project_id}"
            + (f", {res.adjudication.prefilled:,} with the agreed answers filled in" if res.adjudication.queued else ""),
            highlight=False,
        )
    elif res.status.get("disagreed"):
        console.print(f"{res.status['disagreed']:,} disagreement(s): `curate label adjudicate {run_path}` sends them to a third reviewer", highlight=False)
    _print_reopened(console, res.reopened)
    console.print(f"next: curate agreement {run_path}", highlight=False)


@label_app.command("adjudicate")
def adjudicate_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder (runs/<name>) or its curate.yaml."),
    data_dir: Path = typer.Option(None, "--data-dir", help=DATA_DIR_HELP),
) -> None:
    """Send the records whose reviewers disagree (as of the last pull) to the adjudication
    project, where a third person decides. Safe to repeat."""
    import polars as pl

    from curate.labelstudio.adjudicate import queue, reopen_dead_ends
    from curate.labelstudio.connection import open_client
    from curate.labelstudio.counting import count_annotations
    from curate.labelstudio.decisions import DECISIONS_FILE
    from curate.labelstudio.state import ProjectState, labels_dir, load_snapshot
    from curate.labelstudio.templates import FIELD_LEVELS, field_levels

    console = _console()
    run, name, cfg, base_dir = _open_run(run_path)
    path = labels_dir(run.root) / DECISIONS_FILE
    state = ProjectState.load(run.root)
    if not path.exists() or state is None:
        raise InputError(f"{run.root}: no labels pulled yet; run `curate label pull {run_path}` first")
    decisions = pl.read_parquet(path)
    users_from_raw: dict[int, str] = {}
    snap = load_snapshot(run.root)
    raw_dir = labels_dir(run.root) / "raw"
    for f in sorted(raw_dir.glob("*.json")) if raw_dir.is_dir() else []:
        users_from_raw.update({int(k): v for k, v in (json.loads(f.read_text(encoding="utf-8")).get("users") or {}).items()})
    counted = count_annotations(snap["review"], users_from_raw, fields=set(FIELD_LEVELS[cfg.task]))
    fields_path = labels_dir(run.root) / "fields.json"
    levels = json.loads(fields_path.read_text(encoding="utf-8")) if fields_path.exists() else field_levels(cfg)
    with open_client(cfg, data_dir) as client:
        if state.url != client.url:
            raise InputError(f"{run.root}: its project is on {state.url}, not on {client.url}")
        res = queue(run.root, name, cfg, client, state, counted, decisions, levels=levels, base_dir=base_dir)
        reopened = []
        wanted = set(decisions.filter(pl.col("status").is_in(["disagreed", "majority"]))["record_id"].to_list())
        if res.project_id is not None and wanted:
            reopened = reopen_dead_ends(client, res.project_id, wanted, users_from_raw, counted, set(FIELD_LEVELS[cfg.task]))
        browser = client.connection.browser_url
    if res.project_id is None:
        console.print("no disagreements to adjudicate", highlight=False)
        return
    console.print(
        f"adjudication project {res.project_id}: {res.queued:,} queued, {res.already:,} already there "
        f"→ {browser}/projects/{res.project_id}/data",
        highlight=False,
    )
    _print_reopened(console, reopened)


def _print_reopened(console, reopened) -> None:
    """Say which adjudication tasks were re-opened, and why."""
    if not reopened:
        return
    console.print(
        f"adjudication: re-opened {len(reopened):,} task(s) whose answer cannot count (given by one of the record's own "
        "reviewers, posted in someone else's name, or empty): they are back in the queue for someone else; the answer "
        "stays in Label Studio",
        highlight=False,
    )
    for r in reopened[:10]:
        console.print(f"  task {r.task_id} (record {r.record_id}), answered by {', '.join(r.answered_by) or 'nobody counted'}",
                      highlight=False)


@label_app.command("status")
def status_cmd(
    run_path: Path = typer.Argument(..., metavar="RUN", help="A run folder (runs/<name>) or its curate.yaml."),
    show_warnings: int = typer.Option(10, "--warnings", min=0, help="How many of the last pull's warnings to print (all are in labels/pull.json)."),
) -> None:
    """How far labeling has come, as of the last pull (no server needed)."""
    import polars as pl

    from curate.labelstudio.state import ProjectState, labels_dir

    console = _console()
    run, _, cfg, _ = _open_run(run_path)
    state = ProjectState.load(run.root)
    if state is None:
        raise InputError(f"{run.root}: nothing pushed to Label Studio yet")
    console.print(f"project {state.project_id} on {state.url} ({state.task}), {state.pushed:,} tasks pushed", highlight=False)
    console.print(f"export policy: {cfg.export_policy}", highlight=False)
    if state.adjudication_project_id:
        console.print(f"adjudication project {state.adjudication_project_id}", highlight=False)
    d = labels_dir(run.root)
    if not (d / "decisions.parquet").exists():
        console.print("no pull yet", highlight=False)
        return
    dec = pl.read_parquet(d / "decisions.parquet")
    labels = pl.read_parquet(d / "labels.parquet")
    table = Table(title="records by status", title_justify="left")
    table.add_column("status")
    table.add_column("records", justify="right")
    for s, n in dec.group_by("status").len().sort("status").iter_rows():
        table.add_row(s, f"{n:,}")
    console.print(table)
    if labels.height:
        per = labels.group_by("reviewer").agg(
            pl.col("annotation_id").n_unique().alias("annotations"), pl.col("seconds").median().alias("median_s")
        ).sort("reviewer")
        t2 = Table(title="reviewers", title_justify="left")
        for c in ("reviewer", "annotations", "median seconds"):
            t2.add_column(c)
        for r, n, s in per.iter_rows():
            t2.add_row(r, f"{n:,}", f"{s:.0f}" if s is not None else "")
        console.print(t2)
    _print_last_pull(console, d / "pull.json", show_warnings)


def _print_last_pull(console, path: Path, show: int) -> None:
    """What the last pull left out and warned about (labels/pull.json)."""
    try:
        last = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    notable = {k: v for k, v in (last.get("counts") or {}).items() if v}
    warnings = last.get("warnings") or []
    reopened = last.get("adjudication_reopened") or []
    console.print(f"last pull {last.get('pulled_at', '')}: {len(warnings):,} warning(s)", highlight=False)
    if notable:
        console.print("not counted: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(notable.items())), highlight=False)
    for w in warnings[:show]:
        console.print(f"[yellow]warning[/]: {w}", highlight=False)
    if len(warnings) > show:
        console.print(f"… {len(warnings) - show} more in {path}", highlight=False)
    if reopened:
        console.print(f"adjudication: {len(reopened):,} task(s) re-opened for someone else: "
                      + ", ".join(str(r.get("task_id")) for r in reopened[:20]), highlight=False)

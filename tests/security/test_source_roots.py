"""Nothing outside a source's root (issue 23, point 3): links out of the root, the
kernel's files, FIFOs and sockets, MDX imports and globs. Reads are watched with inotify
on the folder outside the root: not one open or read may happen there."""

from __future__ import annotations

import ctypes
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_sources import GOOD_PAGE, read_events, split

from curate.sources.roots import Refusal, open_entry

SECRET = "ZX-planted-7731"
FIELDS = {"id": "id", "user": "q", "assistant": "a"}
IN_ACCESS, IN_OPEN = 0x1, 0x20


class Watch:
    """inotify on a folder: every open or read of it or of a file in it."""

    def __init__(self, folder: Path):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self.libc.inotify_init1(os.O_NONBLOCK)
        assert self.fd >= 0, os.strerror(ctypes.get_errno())
        wd = self.libc.inotify_add_watch(self.fd, str(folder).encode(), IN_ACCESS | IN_OPEN)
        assert wd >= 0, os.strerror(ctypes.get_errno())

    def events(self) -> int:
        n = 0
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return n
            pos = 0
            while pos < len(data):
                length = int.from_bytes(data[pos + 12:pos + 16], "little")
                n += 1
                pos += 16 + length

    def close(self) -> None:
        os.close(self.fd)


@pytest.fixture
def outside(tmp_path):
    """A folder beside the source's root holding files a hostile link points at, watched."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "x.md").write_text(f"# Outside\n\nThe secret is {SECRET}.\n")
    (out / "secret.jsonl").write_text(json.dumps({"id": "s", "q": SECRET, "a": SECRET}) + "\n")
    (out / "leak.eml").write_text(f"From: a@example.org\nMessage-ID: <leak@x>\n\n{SECRET}\n")
    watch = Watch(out)
    (out / "x.md").read_bytes()
    assert watch.events() > 0  # the watch sees a read
    yield out, watch
    watch.close()


def no_secret(events) -> None:
    text = json.dumps([e if isinstance(e, dict) else [e.locator, e.reason] for e in events], default=str)
    assert SECRET not in text and "/etc" not in text and "/proc" not in text and "outside/" not in text


def test_links_out_of_a_docs_folder_are_refused(tmp_path, outside):
    out, watch = outside
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text(GOOD_PAGE)
    (docs / "passwd.md").symlink_to("/etc/passwd")
    (docs / "environ.md").symlink_to("/proc/self/environ")
    (docs / "secret.md").symlink_to(out / "x.md")
    (docs / "relative.md").symlink_to("../outside/x.md")
    (docs / "again.md").symlink_to("good.md")  # a link inside the root
    recs, rejects, _ = split(events := read_events("docs", tmp_path, tmp_path, path="docs"))
    assert {r.locator: r.reason for r in rejects} == {
        name: "symbolic link, not followed (symlinks: none)"
        for name in ("again.md", "environ.md", "passwd.md", "relative.md", "secret.md")
    }
    assert [r["locator"] for r in recs] == ["good.md"]
    no_secret(events)
    # 'inside' reads the link that stays inside; the others still lead outside
    recs, rejects, _ = split(events := read_events("docs", tmp_path, tmp_path, path="docs", symlinks="inside"))
    assert {r.locator: r.reason for r in rejects} == {
        name: "symbolic link to a path outside the source's root, not followed"
        for name in ("environ.md", "passwd.md", "relative.md", "secret.md")
    }
    assert sorted(r["locator"] for r in recs) == ["again.md", "good.md"]
    no_secret(events)
    assert watch.events() == 0


def test_kernel_files_are_never_read(tmp_path):
    """Even where the config itself names them."""
    for path in ("/proc/self/environ", "/proc/version"):
        events = read_events("jsonl", tmp_path, tmp_path, path=path, fields=FIELDS)
        assert [(e.locator, e.reason) for e in events] == [
            (path, "a file of a kernel file system (procfs, sysfs, ...), not read")
        ]
    events = read_events("zendesk", tmp_path, tmp_path, path="/proc/self/environ")
    assert [e.reason for e in events] == ["a file of a kernel file system (procfs, sysfs, ...), not read"]


@pytest.mark.timeout(60)
def test_fifos_and_sockets_are_never_opened(tmp_path):
    """Opening a FIFO for reading blocks until a writer comes: any attempt hangs this test."""
    docs = tmp_path / "docs"
    mail = tmp_path / "mail"
    rows = tmp_path / "rows"
    for d in (docs, mail, rows):
        d.mkdir()
    (docs / "good.md").write_text(GOOD_PAGE)
    os.mkfifo(docs / "pipe.md")
    (mail / "1.eml").write_text("From: a@example.org\nMessage-ID: <1@x>\n\nHello.\n")
    os.mkfifo(mail / "2.eml")
    (rows / "a.jsonl").write_text(json.dumps({"id": "1", "q": "Hi?", "a": "Hello."}) + "\n")
    os.mkfifo(rows / "b.jsonl")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(rows / "c.jsonl"))
    try:
        cases = [("docs", {"path": "docs"}, "pipe.md"), ("email", {"path": "mail"}, "mail/2.eml"),
                 ("jsonl", {"path": "rows", "fields": FIELDS}, "rows/b.jsonl")]
        for type_, cfg, fifo in cases:
            recs, rejects, _ = split(read_events(type_, tmp_path, tmp_path, **cfg))
            assert (fifo, "a FIFO, not read") in [(r.locator, r.reason) for r in rejects]
            assert len(recs) == 1
        _, rejects, _ = split(read_events("jsonl", tmp_path, tmp_path, path="rows", fields=FIELDS))
        assert ("rows/c.jsonl", "a socket, not read") in [(r.locator, r.reason) for r in rejects]
        # a configured FIFO (an export file) and one swapped in after the walk
        _, rejects, _ = split(read_events("zendesk", tmp_path, tmp_path, path="rows/b.jsonl"))
        assert [r.reason for r in rejects] == ["a FIFO, not read"]
        with pytest.raises(Refusal, match="a FIFO, not read"):
            open_entry(rows / "b.jsonl")
        with pytest.raises(Refusal, match="symbolic link"):
            (rows / "l.jsonl").symlink_to(rows / "a.jsonl")
            open_entry(rows / "l.jsonl")
    finally:
        sock.close()


def test_mdx_imports_resolve_inside_the_root(tmp_path, outside):
    out, watch = outside
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "_inside.md").write_text("Shared paragraph from a partial.\n")
    (docs / "_link.md").symlink_to(out / "x.md")
    (docs / "page.mdx").write_text(
        'import Inside from "./_inside.md";\nimport Out from "../outside/x.md";\nimport Deep from "./../../outside/x.md";\n'
        'import Link from "./_link.md";\n\n# Page\n\nIntro.\n\n<Inside />\n\n<Out />\n\n<Deep />\n\n<Link />\n\nEnd.\n'
    )
    recs, rejects, _ = split(events := read_events("docs", tmp_path, tmp_path, path="docs"))
    assert [(r.locator, r.reason) for r in rejects] == [
        ("page.mdx", "import of a file outside the source's root, not inlined"),
        ("page.mdx", "import of a file outside the source's root, not inlined"),
        ("page.mdx", "import through a symbolic link, not inlined (symlinks: none)"),
    ]
    assert len(recs) == 1 and "Shared paragraph from a partial." in recs[0]["text"] and "End." in recs[0]["text"]
    no_secret(events)
    recs, rejects, _ = split(events := read_events("docs", tmp_path, tmp_path, path="docs", symlinks="inside"))
    assert rejects[-1].reason == "import through a symbolic link to a path outside the source's root, not inlined"
    no_secret(events)
    assert watch.events() == 0


def test_globs_and_folders_do_not_follow_links(tmp_path, outside):
    out, watch = outside
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.jsonl").write_text(json.dumps({"id": "1", "q": "Hi?", "a": "Hello."}) + "\n")
    (data / "sub" / "b.jsonl").write_text(json.dumps({"id": "2", "q": "Bye?", "a": "Bye."}) + "\n")
    (data / "c.jsonl").symlink_to(out / "secret.jsonl")
    (data / "linked").symlink_to(out)  # a folder link: never descended into
    (data / ".hidden.jsonl").write_text("not read\n")
    for path in ("data/*.jsonl", "data/**/*.jsonl", "data"):
        recs, rejects, _ = split(events := read_events("jsonl", tmp_path, tmp_path, path=path, fields=FIELDS))
        want = {"data/c.jsonl": "symbolic link, not followed (symlinks: none)"}
        if path == "data":  # a folder: every file in it, the folder link too
            want["data/linked"] = "symbolic link, not followed (symlinks: none)"
        assert {r.locator: r.reason for r in rejects} == want, path
        assert len(recs) == (1 if path == "data/*.jsonl" else 2), path
        no_secret(events)
    _, rejects, _ = split(read_events("jsonl", tmp_path, tmp_path, path="data", fields=FIELDS, symlinks="inside"))
    assert {r.locator: r.reason for r in rejects} == {
        "data/c.jsonl": "symbolic link to a path outside the source's root, not followed",
        "data/linked": "symbolic link to a path outside the source's root, not followed",
    }
    assert watch.events() == 0


def test_email_folders_do_not_follow_links(tmp_path, outside):
    out, watch = outside
    cur = tmp_path / "mail" / "cur"
    cur.mkdir(parents=True)
    (cur / "1.eml").write_text("From: a@example.org\nMessage-ID: <1@x>\n\nHello.\n")
    (cur / "2.eml").symlink_to(out / "leak.eml")
    (cur / "3.eml").symlink_to("/etc/passwd")
    (tmp_path / "mail" / "Archive").symlink_to(out)
    recs, rejects, _ = split(events := read_events("email", tmp_path, tmp_path, path="mail"))
    assert {r.locator: r.reason for r in rejects} == {
        "mail/Archive": "symbolic link, not followed (symlinks: none)",
        "mail/cur/2.eml": "symbolic link, not followed (symlinks: none)",
        "mail/cur/3.eml": "symbolic link, not followed (symlinks: none)",
    }
    assert len(recs) == 1
    no_secret(events)
    assert watch.events() == 0


def test_configured_link_is_the_authors_choice(tmp_path):
    """The config is trusted: a configured path that is a link is read (its target's kind
    still checked); links found below it are not."""
    real = tmp_path / "exports"
    real.mkdir()
    (real / "t.jsonl").write_text(json.dumps({"id": "1", "q": "Hi?", "a": "Hello."}) + "\n")
    (tmp_path / "current").symlink_to(real)
    (tmp_path / "t.jsonl").symlink_to(real / "t.jsonl")
    for path in ("current", "t.jsonl", "current/t.jsonl"):
        recs, rejects, _ = split(read_events("jsonl", tmp_path, tmp_path, path=path, fields=FIELDS))
        assert len(recs) == 1 and not rejects, path


def test_ingest_cli_leaks_no_environment(tmp_path):
    """The reported case end to end: a docs folder holding links to the password file and
    to the process's environment, a salt in that environment; `curate ingest` in a real
    process reads neither, names both links in its rejects, and exits 0."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text(GOOD_PAGE)
    (docs / "passwd.md").symlink_to("/etc/passwd")
    (docs / "environ.md").symlink_to("/proc/self/environ")
    cfg = {"name": "p", "sources": [{"type": "docs", "path": "docs"}]}
    (tmp_path / "curate.yaml").write_text(yaml.safe_dump(cfg))
    env = {**os.environ, "CURATE_PII_SALT": SECRET, "COLUMNS": "200"}
    r = subprocess.run([sys.executable, "-m", "curate", "ingest", "curate.yaml", "-o", "out.jsonl", "-q"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    rejects = [json.loads(x) for x in (tmp_path / "out.rejects.jsonl").read_text().splitlines()]
    assert {(x["locator"], x["reason"]) for x in rejects} == {
        ("environ.md", "symbolic link, not followed (symlinks: none)"),
        ("passwd.md", "symbolic link, not followed (symlinks: none)"),
    }
    for f in tmp_path.rglob("*"):
        if f.is_file() and not f.is_symlink():
            data = f.read_bytes()
            assert SECRET.encode() not in data and b"root:x:0:0" not in data, f
    assert SECRET not in r.stdout + r.stderr

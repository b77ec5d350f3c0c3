"""Where a file-based source may read: regular files below the path its config names, and
nothing else.

The config and its author are trusted, the files are not. So the configured ``path`` is
resolved once (it may itself be a link: the author chose it) and becomes the source's
root; everything *found* below it is checked:

- a symbolic link is not followed (``symlinks: none``, the default), or followed only to a
  file that resolves inside the root (``symlinks: inside``); a link to a folder is never
  descended into (its files, being inside the root, are read under their own names);
- FIFOs, sockets and devices are never opened (opening a FIFO would block the build), and
  no file on a kernel file system (procfs, sysfs, ...) is read, whatever leads there;
- a glob (``data/*.jsonl``) is matched while walking its fixed prefix folder, without
  following links, instead of by :mod:`glob` (which follows them);
- a relative import from one file to another (an MDX partial) must resolve inside the
  root under the same rules.

Each refusal is an :class:`Entry` with a reason, which the adapter turns into a reject
naming the path below the root (never its target, never content). Files are opened with
:func:`open_entry`, which checks again on the open descriptor (``O_NOFOLLOW``, ``fstat``),
so a file swapped for a link or a FIFO after the walk is refused too.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Literal

from pydantic import Field

SymlinkPolicy = Literal["none", "inside"]

#: file system types whose files are the kernel's, not data (matched in mountinfo)
_KERNEL_FS = frozenset({
    "proc", "sysfs", "devtmpfs", "devpts", "cgroup", "cgroup2", "debugfs", "tracefs",
    "securityfs", "configfs", "bpf", "mqueue", "pstore", "efivarfs", "binfmt_misc",
    "fusectl", "hugetlbfs", "autofs", "rpc_pipefs", "nsfs",
})

OUTSIDE = "symbolic link to a path outside the source's root, not followed"
LINK = "symbolic link, not followed (symlinks: none)"
LINKED_FOLDER = "symbolic link to a folder, not followed"
KERNEL = "a file of a kernel file system (procfs, sysfs, ...), not read"


def symlinks_field() -> Any:
    return Field(
        default="none",
        description="Symbolic links found below `path`: 'none' reads none of them (each is a reject "
        "naming it); 'inside' reads a link to a file that resolves inside `path`. A link leading "
        "outside `path`, or to a folder, is never followed.",
    )


class Refusal(Exception):
    """A path the source may not read; the message is the reject reason."""


@dataclass(frozen=True)
class Entry:
    """A file found below a root: ``path`` names it (as found, below the configured path);
    ``real`` is what to open, or ``None`` when it is refused for ``refused``."""

    path: Path
    real: Path | None
    refused: str | None = None


@lru_cache(maxsize=1)
def _kernel_devices() -> frozenset[int]:
    """Device numbers of the mounted kernel file systems (from /proc/self/mountinfo; where
    that cannot be read, those of /proc, /sys and /dev when they are mounts of their own)."""
    devices: set[int] = set()
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                head, _, tail = line.partition(" - ")
                fields = head.split()
                fstype = tail.split(" ", 1)[0]
                if len(fields) > 2 and fstype in _KERNEL_FS:
                    major, _, minor = fields[2].partition(":")
                    devices.add(os.makedev(int(major), int(minor)))
    except (OSError, ValueError):
        try:
            root_dev = os.stat("/").st_dev
        except OSError:
            root_dev = -1
        for p in ("/proc", "/sys", "/dev"):
            try:
                dev = os.stat(p).st_dev
            except OSError:
                continue
            if dev != root_dev:
                devices.add(dev)
    return frozenset(devices)


def _special(mode: int) -> str | None:
    """Why a file of this mode is not read, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a FIFO, not read"
    if stat.S_ISSOCK(mode):
        return "a socket, not read"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not read"
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    return "not a regular file, not read"


def check_stat(st: os.stat_result) -> str | None:
    """Why a file with this stat is not read, or None."""
    why = _special(st.st_mode)
    if why is None and st.st_dev in _kernel_devices():
        why = KERNEL
    return why


def open_entry(path: Path) -> BinaryIO:
    """Open a file for reading, refusing (:class:`Refusal`) a symbolic link in its last
    component, anything but a regular file, and the kernel's files. ``O_NONBLOCK`` keeps a
    FIFO swapped in after the walk from blocking the open."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refusal(LINK) from None
        raise
    try:
        why = check_stat(os.fstat(fd))
        if why is not None:
            raise Refusal(why)
        if flags & getattr(os, "O_NONBLOCK", 0):
            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def sha256_entry(entry: Entry) -> str:
    """A fingerprint of one entry: its content's sha256, or why it is not read."""
    if entry.real is None:
        return f"refused: {entry.refused}"
    h = hashlib.sha256()
    try:
        with open_entry(entry.real) as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    except Refusal as exc:
        return f"refused: {exc}"
    except OSError as exc:
        return f"unreadable: {exc.strerror or type(exc).__name__}"
    return h.hexdigest()


# -- globs -----------------------------------------------------------------------------------

_MAGIC = re.compile(r"[*?\[{]")


def _glob_component(part: str, dots: bool = False) -> str:
    """One path component of a glob as a regex: ``*`` and ``?`` stay inside the component,
    and, as with :mod:`glob`, a wildcard does not match a leading dot (unless ``dots``).
    ``{md,mdx}`` is one of its comma-separated alternatives (as in shells and JavaScript
    tools, where documentation globs are often written)."""
    out = [] if part.startswith(".") or dots else [r"(?!\.)"]
    i = 0
    while i < len(part):
        c = part[i]
        if c == "{" and (j := part.find("}", i)) > 0 and "," in part[i:j] and "{" not in part[i + 1:j]:
            alternatives = part[i + 1:j].split(",")
            out.append("(?:" + "|".join(_glob_component(a, dots=True) for a in alternatives) + ")")
            i = j + 1
            continue
        if c == "*":
            out.append(r"[^/]*")
        elif c == "?":
            out.append(r"[^/]")
        elif c == "[":
            j = part.find("]", i + 2 if part[i + 1:i + 2] in ("!", "]") else i + 1)
            if j < 0:
                out.append(re.escape(c))
            else:
                body = part[i + 1:j]
                neg = body.startswith("!")
                body = body[1:] if neg else body
                body = body.replace("\\", "\\\\").replace("[", "\\[")
                if not neg and body.startswith("^"):
                    body = "\\" + body  # a literal caret, as in fnmatch
                out.append("[" + ("^/" if neg else "") + body + "]")
                i = j
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


class SegmentGlob:
    """A glob over a relative POSIX path, matched name by name: each name against its
    component's regex (a name is at most NAME_MAX characters), and ``**`` as a state that
    takes any number of names. The states run side by side (a small NFA), so a match costs
    names x components steps whatever the path's depth: as one regular expression, three
    ``**`` took 7 s on a 1,000-folder path and grew with its cube.

    ``match(rel)`` is true when the path matches (``prefix_ok``: or a folder above it does,
    as a .gitignore line matches everything below a folder it names)."""

    __slots__ = ("items", "prefix_ok")

    #: an item: (None, dots) for ``**`` (names starting with a dot only when ``dots``), or
    #: (compiled component regex, None)
    def __init__(self, items: list[tuple[re.Pattern[str] | None, bool | None]], prefix_ok: bool = False):
        self.items = items
        self.prefix_ok = prefix_ok

    def _closure(self, states: set[int]) -> set[int]:
        todo = list(states)
        while todo:
            i = todo.pop()
            if i < len(self.items) and self.items[i][0] is None and i + 1 not in states:
                states.add(i + 1)
                todo.append(i + 1)
        return states

    def match(self, rel: str) -> bool:
        n = len(self.items)
        states = self._closure({0})
        for name in rel.split("/"):
            step: set[int] = set()
            for i in states:
                if i == n:
                    continue
                regex, dots = self.items[i]
                if regex is None:
                    if dots or not name.startswith("."):
                        step.add(i)
                elif regex.fullmatch(name):
                    step.add(i + 1)
            states = self._closure(step)
            if not states:
                return False
            if self.prefix_ok and n in states:
                return True
        return n in states


_ANY_NAME = re.compile(r".*", re.DOTALL)


def glob_regex(parts: list[str]) -> SegmentGlob:
    """A glob's components below its fixed prefix, matched against a POSIX relative path;
    ``**`` matches any number of folders (none starting with a dot)."""
    items: list[tuple[re.Pattern[str] | None, bool | None]] = []
    for k, part in enumerate(parts):
        if part != "**":
            items.append((re.compile(_glob_component(part), re.DOTALL), None))
        elif k and k == len(parts) - 1:  # ``x/**`` is what is inside x: at least one name
            items += [(re.compile(_glob_component("*"), re.DOTALL), None), (None, False)]
        else:
            items.append((None, False))
    return SegmentGlob(items)


@lru_cache(maxsize=256)
def path_pattern(pattern: str) -> SegmentGlob:
    """An include / exclude pattern over a relative POSIX path, read as a .gitignore line
    is: ``**/`` is any number of folders, none included (``docs/**/*.md`` matches
    ``docs/a.md``); ``*`` and ``?`` stay within a name; a pattern without a slash matches a
    name at any depth (``*.md``, ``_*``); a pattern that matches a folder matches all
    below it. Wildcards match names starting with a dot."""
    body = pattern.strip()
    while body.startswith("./"):
        body = body[2:]
    anchored = "/" in body.rstrip("/")
    parts = [p for p in body.strip("/").split("/") if p]
    items: list[tuple[re.Pattern[str] | None, bool | None]] = [] if anchored else [(None, True)]
    for k, part in enumerate(parts):
        if part == "**":
            # a trailing ** holds at least one name (``docs/**`` is what is inside docs)
            items += [(_ANY_NAME, None), (None, True)] if k == len(parts) - 1 else [(None, True)]
        else:
            items.append((re.compile(_glob_component(part, dots=True), re.DOTALL), None))
    return SegmentGlob(items, prefix_ok=True)


# -- the root --------------------------------------------------------------------------------


class SourceRoot:
    """The configured path of a file-based source (a file, a folder or a glob) and the rules
    for what may be read below it."""

    def __init__(self, base_dir: Path, configured: str, symlinks: SymlinkPolicy = "none"):
        p = Path(configured).expanduser()
        p = p if p.is_absolute() else Path(base_dir) / p
        parts = p.parts
        magic = next((i for i, part in enumerate(parts) if _MAGIC.search(part)), None)
        self.symlinks = symlinks
        if magic is None:
            self.top = p
            self.pattern: SegmentGlob | None = None
            self.max_depth: int | None = None
        else:
            self.top = Path(*parts[:magic])
            rest = list(parts[magic:])
            self.pattern = glob_regex(rest)
            self.max_depth = None if "**" in rest else len(rest)
        self.real_top = Path(os.path.realpath(self.top))
        # the folder every read must stay in: the configured folder, or the folder of the
        # configured file (its partial imports may sit beside it)
        self.folder = self.real_top if self.real_top.is_dir() else self.real_top.parent

    def is_file(self) -> bool:
        """True when the configured path names one file (not a folder, not a glob)."""
        return self.pattern is None and not self.top.is_dir()

    def inside(self, real: Path) -> bool:
        return real == self.folder or self.folder in real.parents

    def entries(self, accept: Callable[[str], bool] = lambda rel: True) -> list[Entry]:
        """Every file below the root that ``accept`` (given the path relative to the root,
        POSIX style) selects, in path order: readable ones and refused ones."""
        if self.pattern is None and not self.top.is_dir():
            if not os.path.lexists(self.top):
                return []
            return [self._configured_file()]
        if not self.top.is_dir():
            return []
        out: list[Entry] = []
        self._walk(self.top, "", 0, accept, out)
        return out

    def _configured_file(self) -> Entry:
        # the author named this file: a link is followed, its kind still checked
        try:
            why = check_stat(os.stat(self.real_top))
        except OSError:
            why = None  # reading it gives the error the adapter reports
        return Entry(self.top, self.real_top if why is None else None, why)

    def _selected(self, rel: str, accept: Callable[[str], bool]) -> bool:
        if self.pattern is not None and not self.pattern.match(rel):
            return False
        return accept(rel)

    def _walk(self, folder: Path, prefix: str, depth: int, accept: Callable[[str], bool], out: list[Entry]) -> None:
        try:
            with os.scandir(folder) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            out.append(Entry(folder, None, f"unreadable folder: {exc.strerror or type(exc).__name__}"))
            return
        for e in items:
            rel = prefix + e.name
            path = folder / e.name
            try:
                if e.is_symlink():
                    if self._selected(rel, accept):
                        out.append(self._link(path))
                    continue
                if e.is_dir(follow_symlinks=False):
                    if self.max_depth is None or depth + 1 < self.max_depth:
                        self._walk(path, rel + "/", depth + 1, accept, out)
                    continue
                if not self._selected(rel, accept):
                    continue
                why = check_stat(e.stat(follow_symlinks=False))
            except OSError as exc:
                why = f"unreadable: {exc.strerror or type(exc).__name__}"
            out.append(Entry(path, path if why is None else None, why))

    def _link(self, path: Path) -> Entry:
        if self.symlinks == "none":
            return Entry(path, None, LINK)
        real = Path(os.path.realpath(path))
        if not self.inside(real):
            return Entry(path, None, OUTSIDE)
        try:
            st = os.stat(real)
        except OSError:
            return Entry(path, None, "symbolic link to nothing (dangling)")
        if stat.S_ISDIR(st.st_mode):
            return Entry(path, None, LINKED_FOLDER)
        why = check_stat(st)
        return Entry(path, real if why is None else None, why)

    def relative_import(self, importer: Path, target: str) -> Path:
        """The file a relative import in ``importer`` (a file below the root) names, checked
        by the root's rules; raises :class:`Refusal`."""
        lexical = Path(os.path.normpath(Path(os.path.realpath(importer)).parent / target))
        if not self.inside(lexical):
            raise Refusal("import of a file outside the source's root, not inlined")
        real = Path(os.path.realpath(lexical))
        if real != lexical:
            if self.symlinks == "none":
                raise Refusal("import through a symbolic link, not inlined (symlinks: none)")
            if not self.inside(real):
                raise Refusal("import through a symbolic link to a path outside the source's root, not inlined")
        return real



def configured_entry(base_dir: Path, configured: str) -> Entry:
    """The one file a config names (an export file): a link the author wrote is followed,
    but a FIFO, a socket, a device or a kernel file is still refused."""
    entries = SourceRoot(base_dir, configured).entries()
    if entries:
        return entries[0]
    p = Path(configured).expanduser()
    return Entry(p if p.is_absolute() else Path(base_dir) / p, None, "file not found")

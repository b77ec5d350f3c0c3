"""A local Label Studio server for a team's review project: its own virtual environment,
SQLite, offline, the admin account from environment variables; loopback only unless
``host`` says otherwise (then sign-up needs the invite link, as always, and the CLI warns).

State lives in a data folder (default ``.labelstudio/`` in the working directory)::

    .labelstudio/
      server.json        pid, port, host and URLs of the running server; after a stop, the
                         port and host without a pid (the next start takes the same port)
      credentials.json   admin email, password and API token (mode 0600; never printed)
      server.log         the server's output
      data/              Label Studio's own data (SQLite database, media, exports)

Facts this module relies on (measured with Label Studio 1.23.2):
- it reads ``LABEL_STUDIO_X``, then ``HEARTEX_X``, then a bare ``X``: a stray ``PORT`` or
  ``USERNAME`` in the environment changes its behaviour, so the child inherits an
  allow-list of variables only (which also keeps curate's secrets and source tokens away
  from a web server);
- a busy port is silently replaced by the next free one, so we pick a free port ourselves;
- ``--data-dir`` alone still creates ``~/.local/share/label-studio``, so
  ``LABEL_STUDIO_BASE_DATA_DIR`` is set too;
- the admin and its legacy API token are created from the environment at the first start;
- without the offline variables it checks for new versions and posts telemetry.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from curate.errors import CurateError
from curate.store import write_json

log = logging.getLogger(__name__)

LS_VERSION = "1.23.2"
DEFAULT_PORT = 8080
DEFAULT_ADMIN_EMAIL = "admin@curate.local"

ENV_DATA_DIR = "CURATE_LS_DATA_DIR"
ENV_VENV = "CURATE_LS_VENV"
ENV_ADMIN_EMAIL = "CURATE_LS_ADMIN_EMAIL"
ENV_ADMIN_PASSWORD = "CURATE_LS_ADMIN_PASSWORD"

#: Variables that make Label Studio run without any outside connection.
OFFLINE_ENV = {
    "LATEST_VERSION_CHECK": "false",
    "COLLECT_ANALYTICS": "false",
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
}
#: How often a start that takes a while says what it is doing (seconds).
PROGRESS_EVERY = 10.0
#: Lines of the server's log that tell how far a start has come, in the order they appear.
_PHASES = (
    ("Initializing database", "setting up the database (first start)"),
    ("Starting development server", "starting the web server"),
)
#: What the server inherits from curate's environment: the basics a Python process needs and
#: Label Studio's own settings. Nothing else: curate's secrets (``CURATE_PII_SALT``,
#: ``CURATE_PII_KEY``), source API tokens and cloud credentials stay out of a process that
#: serves web pages. Bare ``USERNAME``, ``PASSWORD``, ``HOST``, ``PORT`` (which Label Studio
#: also reads as settings, after LABEL_STUDIO_X and HEARTEX_X) are not on the list either.
_ENV_NAMES = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TERM",
    "TMPDIR", "TEMP", "TMP", "SYSTEMROOT", "SSL_CERT_FILE", "SSL_CERT_DIR",
})
_ENV_PREFIXES = ("LC_", "LABEL_STUDIO_", "HEARTEX_")


def inherited_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The part of ``environ`` the Label Studio child may see (an allow-list)."""
    return {k: v for k, v in environ.items() if k in _ENV_NAMES or k.startswith(_ENV_PREFIXES)}


class LabelStudioNotInstalled(CurateError):
    exit_code = 2


def default_data_dir() -> Path:
    return Path(os.environ.get(ENV_DATA_DIR) or ".labelstudio")


def find_executable() -> Path:
    """The ``label-studio`` command: from ``$CURATE_LS_VENV``, ``./.venv-labelstudio``,
    the one beside this source checkout, or ``PATH``."""
    candidates: list[Path] = []
    if os.environ.get(ENV_VENV):
        candidates.append(Path(os.environ[ENV_VENV]) / "bin" / "label-studio")
    candidates.append(Path.cwd() / ".venv-labelstudio" / "bin" / "label-studio")
    candidates.append(Path(__file__).resolve().parents[2] / ".venv-labelstudio" / "bin" / "label-studio")
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    found = shutil.which("label-studio")
    if found:
        return Path(found)
    raise LabelStudioNotInstalled(
        "Label Studio is not installed: run scripts/install-labelstudio.sh (it creates "
        f".venv-labelstudio/ with label-studio=={LS_VERSION}), or set {ENV_VENV} to a virtual "
        "environment that has it"
    )


@dataclass
class Credentials:
    """The admin account of a local server. ``token`` is a legacy API token."""

    email: str
    password: str = field(repr=False)
    token: str = field(repr=False)


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", ""})  # nosec - chosen by the user, with a warning


@dataclass
class ServerState:
    """``url`` is where curate talks to the server; ``public_url`` what people open in a
    browser when that differs (another machine's view of this one, a reverse proxy)."""

    pid: int | None
    port: int
    url: str
    started_at: float
    version: str = LS_VERSION
    host: str = "127.0.0.1"
    public_url: str | None = None

    @property
    def browser_url(self) -> str:
        return self.public_url or self.url


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def reachable_host(bind_host: str) -> str:
    """A name or address by which other machines can reach a server bound to
    ``bind_host``: the address itself, or for a wildcard the machine's name when it
    resolves to a non-loopback address, else the address of its default route."""
    if bind_host not in WILDCARD_HOSTS:
        return bind_host
    name = socket.getfqdn()
    with contextlib.suppress(OSError):
        addrs = {ai[4][0] for ai in socket.getaddrinfo(name, None, socket.AF_INET)}
        if addrs and not all(is_loopback(a) for a in addrs):
            return name
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("10.255.255.255", 1))  # a UDP connect picks the route; nothing is sent
        addr = s.getsockname()[0]
        if addr and not is_loopback(addr) and addr != "0.0.0.0":
            return addr
    return socket.gethostname()


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL (what a browser sends as Origin)."""
    parts = httpx.URL(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.host}{port}"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # as the server itself binds: connections of a server that died (TIME_WAIT) do not
        # keep the port taken for a minute, a program listening on it does
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def can_bind(host: str) -> bool:
    """Whether ``host`` is an address of this machine (a listening socket can use it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, 0))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie (our own child, exited) still answers kill(0)
    with contextlib.suppress(OSError):
        stat = Path(f"/proc/{pid}/stat").read_text()
        if stat.rsplit(")", 1)[-1].split()[0] == "Z":
            return False
    return True


def health(url: str, timeout: float = 2.0) -> bool:
    """True when a Label Studio answers ``/health`` at ``url``."""
    try:
        r = httpx.get(url.rstrip("/") + "/health", timeout=timeout)
    except httpx.HTTPError:
        return False
    return r.status_code == 200


class LocalServer:
    """A Label Studio server started and stopped by curate, with its state in ``data_dir``."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None):
        self.data_dir = Path(data_dir) if data_dir is not None else default_data_dir()

    # -- files -------------------------------------------------------------------------
    @property
    def state_path(self) -> Path:
        return self.data_dir / "server.json"

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / "credentials.json"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def ls_data(self) -> Path:
        return self.data_dir / "data"

    def credentials(self, create: bool = False) -> Credentials | None:
        """The admin account; created (from the environment, else generated) when asked."""
        if self.credentials_path.exists():
            try:
                raw = json.loads(self.credentials_path.read_text(encoding="utf-8"))
                return Credentials(email=raw["email"], password=raw["password"], token=raw["token"])
            except (json.JSONDecodeError, KeyError, TypeError):
                raise CurateError(f"{self.credentials_path}: damaged; remove {self.data_dir} to start afresh") from None
        if not create:
            return None
        creds = Credentials(
            email=os.environ.get(ENV_ADMIN_EMAIL) or DEFAULT_ADMIN_EMAIL,
            password=os.environ.get(ENV_ADMIN_PASSWORD) or secrets.token_urlsafe(18),
            token=secrets.token_hex(20),
        )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            self.data_dir.chmod(0o700)
        write_json(self.credentials_path, asdict(creds), file_mode=0o600)
        return creds

    def recorded(self) -> ServerState | None:
        """What ``server.json`` says, running or not (after a stop: port and host, no pid)."""
        if not self.state_path.exists():
            return None
        try:
            return ServerState(**json.loads(self.state_path.read_text(encoding="utf-8")))
        except (json.JSONDecodeError, TypeError):
            return None

    def state(self) -> ServerState | None:
        """The recorded server, if its process still runs."""
        st = self.recorded()
        return st if st is not None and st.pid and _pid_alive(st.pid) else None

    def recorded_port(self) -> int | None:
        with contextlib.suppress(OSError, json.JSONDecodeError, KeyError, TypeError):
            return int(json.loads(self.state_path.read_text(encoding="utf-8"))["port"])
        return None

    # -- process -----------------------------------------------------------------------
    def child_env(self, creds: Credentials, public_url: str | None = None) -> dict[str, str]:
        env = inherited_env(os.environ)
        env.update(OFFLINE_ENV)
        env.update(
            {
                "LABEL_STUDIO_BASE_DATA_DIR": str(self.ls_data.resolve()),
                "LABEL_STUDIO_USERNAME": creds.email,
                "LABEL_STUDIO_PASSWORD": creds.password,
                "LABEL_STUDIO_USER_TOKEN": creds.token,
                "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
                # reviewers join through the organization's invite link only
                "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
                "PYTHONUNBUFFERED": "1",
            }
        )
        if public_url:
            # a browser behind a TLS proxy sends Origin https://…, which Django refuses for
            # a plain-HTTP request unless the origin is trusted
            env["LABEL_STUDIO_CSRF_TRUSTED_ORIGINS"] = origin(public_url)
        return env

    def start(
        self, port: int | None = None, timeout: float = 240.0, executable: Path | None = None, *,
        host: str | None = None, public_url: str | None = None,
        progress: Callable[[float, str], None] | None = None,
    ) -> ServerState:
        """Start the server in the background (or return the running one) and wait until it
        answers. The first start on a fresh folder sets up the database (half a minute, more
        on a busy machine); ``progress(seconds, what)`` is called every few seconds meanwhile.

        ``host``: the address to listen on (loopback by default; ``0.0.0.0`` for every
        interface). ``public_url``: the address people open (a reverse proxy in front).
        Options left out accept a server that already runs, however it was started."""
        running = self.state()
        if running is not None:
            if (port is not None and port != running.port) or (host is not None and host != running.host) or (
                public_url is not None and public_url.rstrip("/") != (running.public_url or "")
            ):
                raise CurateError(
                    f"Label Studio already runs at {running.browser_url} from {self.data_dir}; "
                    "stop it first with `curate label serve --stop`"
                )
            return running
        exe = executable or find_executable()
        bind = "127.0.0.1" if host is None else ("0.0.0.0" if host == "" else host)
        if not is_loopback(bind) and bind not in WILDCARD_HOSTS and not can_bind(bind):
            raise CurateError(f"{bind} is not an address of this machine; give one of its addresses, or 0.0.0.0 for all")
        if port is None:
            recorded = self.recorded_port()
            port = recorded if recorded and port_is_free(recorded, bind) else (
                DEFAULT_PORT if port_is_free(DEFAULT_PORT, bind) else free_port(bind)
            )
        elif not port_is_free(port, bind):
            raise CurateError(f"port {port} on {bind} is in use; choose another with --port")
        creds = self.credentials(create=True)
        assert creds is not None
        self.ls_data.mkdir(parents=True, exist_ok=True)
        # curate itself talks to the server over loopback whenever the server listens there
        local = "127.0.0.1" if bind in WILDCARD_HOSTS or is_loopback(bind) else bind
        url = f"http://{_url_host(local)}:{port}"
        if public_url:
            public_url = public_url.rstrip("/")
        elif not is_loopback(bind):
            public_url = f"http://{_url_host(reachable_host(bind))}:{port}"
        cmd = [
            str(exe), "start", "--no-browser", "--internal-host", bind,
            "--port", str(port), "--data-dir", str(self.ls_data.resolve()),
        ]
        log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with open(self.log_path, "ab") as logf:
            proc = subprocess.Popen(
                cmd, env=self.child_env(creds, public_url), stdin=subprocess.DEVNULL, stdout=logf,
                stderr=subprocess.STDOUT, start_new_session=True, cwd=self.data_dir,
            )
        state = ServerState(pid=proc.pid, port=port, url=url, started_at=time.time(), host=bind, public_url=public_url)
        write_json(self.state_path, asdict(state))
        started = time.monotonic()
        deadline = started + timeout
        next_report = started + PROGRESS_EVERY
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise CurateError(
                    f"Label Studio exited during start (code {proc.returncode}); see {self.log_path}"
                )
            if health(url, timeout=2.0):
                if not self._listens_on(proc.pid, port):
                    self.stop()
                    raise CurateError(
                        f"port {port} was taken by another program while Label Studio started; try again"
                    )
                return state
            if progress is not None and time.monotonic() >= next_report:
                progress(time.monotonic() - started, self._phase(log_offset))
                next_report += PROGRESS_EVERY
            time.sleep(0.5)
        self.stop()
        raise CurateError(f"Label Studio did not answer at {url} within {timeout:.0f} s; see {self.log_path}")

    def _phase(self, offset: int) -> str:
        """What the starting server is doing, from what it wrote to its log since ``offset``."""
        try:
            with open(self.log_path, "rb") as fh:
                fh.seek(offset)
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return "starting"
        phase = "starting"
        for marker, what in _PHASES:
            if marker in text:
                phase = what
        return phase

    @staticmethod
    def _listens_on(pid: int, port: int) -> bool:
        """Best-effort check that ``pid`` (or a child) owns the listening socket: Label
        Studio silently moves to another port when its port is busy."""
        if not sys.platform.startswith("linux"):
            return True
        inodes: set[str] = set()
        for p in [pid, *_children(pid)]:
            with contextlib.suppress(OSError):
                for fd in Path(f"/proc/{p}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        target = os.readlink(fd)
                        if target.startswith("socket:["):
                            inodes.add(target[8:-1])
        if not inodes:
            return True  # cannot tell (permissions): trust the health check
        hexport = f":{port:04X}"
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with contextlib.suppress(OSError):
                for line in Path(table).read_text().splitlines()[1:]:
                    parts = line.split()
                    if parts[1].endswith(hexport) and parts[3] == "0A" and parts[9] in inodes:
                        return True
        return False

    def stop(self, timeout: float = 20.0) -> bool:
        """Stop the recorded server (SIGTERM, then SIGKILL). True when one was running.

        The port stays recorded (without a pid), so the next start takes it again and the
        runs pushed to this server still find it at the same URL."""
        st = self.state()
        if st is None:
            self._forget_pid()
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(st.pid, signal.SIGTERM) if _is_group_leader(st.pid) else os.kill(st.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _pid_alive(st.pid):
            _reap(st.pid)
            time.sleep(0.2)
        if _pid_alive(st.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(st.pid, signal.SIGKILL) if _is_group_leader(st.pid) else os.kill(st.pid, signal.SIGKILL)
            _reap(st.pid)
        self._forget_pid()
        return True

    def _forget_pid(self) -> None:
        st = self.recorded()
        if st is None:
            self.state_path.unlink(missing_ok=True)
            return
        st.pid = None
        write_json(self.state_path, asdict(st))

    def cli(
        self, *args: str, executable: Path | None = None, timeout: float = 120.0, input: str | None = None,
    ) -> subprocess.CompletedProcess[str]:
        """Run a ``label-studio`` management command against this data folder, in the same
        clean environment as the server (offline; ``SENTRY_DSN`` empty: with Label Studio's
        default DSN its error reporting fails to start and the command crashes).

        ``input`` goes to the command's standard input. It runs in a session of its own,
        without a terminal, so a password prompt (``getpass``) reads it from there: a secret
        passed this way never shows in the process list."""
        exe = executable or find_executable()
        creds = self.credentials(create=False)
        if creds is None:
            raise CurateError(f"{self.data_dir}: no local Label Studio here; start one with `curate label serve`")
        return subprocess.run(
            [str(exe), *args, "--data-dir", str(self.ls_data.resolve())], env=self.child_env(creds),
            capture_output=True, text=True, timeout=timeout, check=False, start_new_session=True,
            **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}),
        )


def _is_group_leader(pid: int) -> bool:
    try:
        return os.getpgid(pid) == pid
    except ProcessLookupError:
        return False


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _children(pid: int) -> list[int]:
    out: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                out += [int(c) for c in (task / "children").read_text().split()]
    return out

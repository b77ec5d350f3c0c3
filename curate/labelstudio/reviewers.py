"""Reviewer accounts. Label Studio's Community edition has no API to create a user with a
password; an account is created the way a person joins: through the organization's
invite link (``/user/signup/?token=...``), with a generated password. The reviewer logs
in with their email and that password and can change it under Account & Settings.

A forgotten password is reset with Label Studio's own ``reset_password`` command on the
server's data folder (local server only), and logins may be kept in a credentials file
(mode 0600) that later runs add to rather than replace.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from curate.errors import CurateError, InputError
from curate.labelstudio.errors import LabelStudioError
from curate.store import write_json

if TYPE_CHECKING:
    from curate.labelstudio.client import LabelStudioClient
    from curate.labelstudio.server import LocalServer

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class Reviewer:
    email: str
    created: bool
    password: str | None = field(default=None, repr=False)


def generate_password() -> str:
    # letters and digits only (easy to pass on), long enough for Django's validators
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def check_emails(emails: list[str]) -> list[str]:
    out = []
    for e in emails:
        e = e.strip().lower()
        if not _EMAIL.match(e) or len(e) > 250:
            raise InputError(f"not an email address: {e!r}")
        if e not in out:
            out.append(e)
    return out


def signup(url: str, invite_path: str, email: str, password: str, timeout: float = 30.0) -> None:
    """Create an account through the invite link, as the signup page does (CSRF form)."""
    with httpx.Client(base_url=url, timeout=timeout, follow_redirects=False) as h:
        try:
            h.get(invite_path)
            csrf = h.cookies.get("csrftoken")
            if not csrf:
                raise LabelStudioError(f"Label Studio at {url}: the signup page set no CSRF cookie")
            r = h.post(
                invite_path,
                data={"email": email, "password": password, "csrfmiddlewaretoken": csrf},
                headers={"Referer": url + invite_path},
            )
        except httpx.HTTPError as exc:
            raise LabelStudioError(f"Label Studio at {url} is unavailable: {type(exc).__name__}") from None
    if r.status_code in (302, 303):
        return
    if r.status_code == 403:
        raise LabelStudioError(f"Label Studio at {url} refused the invite link (403); it may have been reset", status=403)
    raise LabelStudioError(
        f"Label Studio at {url} did not create the account {email} (answer {r.status_code}); "
        "the email may be taken or the password rejected by its rules",
        status=r.status_code,
    )


def add_reviewers(client: LabelStudioClient, emails: list[str]) -> list[Reviewer]:
    """Create accounts for the emails that have none; existing accounts are left as they are."""
    emails = check_emails(emails)
    existing = {str(u.get("email") or "").lower() for u in client.users()}
    invite = client.invite_link()
    out: list[Reviewer] = []
    for email in emails:
        if email in existing:
            out.append(Reviewer(email=email, created=False))
            continue
        if not invite:
            raise LabelStudioError(f"Label Studio at {client.url} gave no invite link; create the accounts in its UI")
        password = generate_password()
        signup(client.url, invite, email, password)
        out.append(Reviewer(email=email, created=True, password=password))
    return out


def login_token(url: str, email: str, password: str, timeout: float = 30.0) -> str:
    """A user's legacy API token, obtained by logging in as that user (what a reviewer does
    in the browser, then Account & Settings)."""
    with httpx.Client(base_url=url, timeout=timeout, follow_redirects=False) as h:
        h.get("/user/login/")
        csrf = h.cookies.get("csrftoken") or ""
        r = h.post("/user/login/", data={"email": email, "password": password, "csrfmiddlewaretoken": csrf},
                   headers={"Referer": url + "/user/login/"})
        if r.status_code not in (302, 303):
            raise LabelStudioError(f"Label Studio at {url}: login as {email} failed", status=r.status_code)
        r = h.get("/api/current-user/token")
        if r.status_code != 200:
            raise LabelStudioError(f"Label Studio at {url}: no API token for {email} ({r.status_code})", status=r.status_code)
        return r.json()["token"]


def reset_password(server: LocalServer, email: str, password: str) -> None:
    """Set a new password for ``email`` on the local server (running or not).

    Label Studio's ``reset_password`` exits 0 even when the account does not exist, so its
    answer is read. The password goes in on standard input, never on a command line."""
    (email,) = check_emails([email])
    r = server.cli("reset_password", "--username", email, input=password + "\n")
    said = [line.strip() for line in (r.stdout + "\n" + r.stderr).splitlines() if line.strip()]
    if any("Password successfully changed" in line for line in said):
        return
    if any(line.endswith("not found") and email in line for line in said):
        raise InputError(
            f"no account {email} on the Label Studio in {server.data_dir}; `curate label reviewers list` shows who has one"
        )
    last = next((line for line in reversed(said) if "password" not in line.lower() or "same" in line), "no output")
    raise CurateError(f"label-studio reset_password did not change the password of {email} (exit {r.returncode}): {last[:200]}")


def save_logins(path: Path, url: str, logins: list[tuple[str, str]]) -> int:
    """Add logins (email, password) to a credentials file readable by its owner only.

    An existing file keeps its other entries (a login for the same email is replaced), so
    adding reviewers in several runs never loses a password written earlier. Returns how
    many logins the file holds."""
    path = Path(path)
    entries: list[dict[str, str]] = []
    if path.exists():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
            entries = [{"email": str(e["email"]), "password": str(e["password"])} for e in old["reviewers"]]
        except (OSError, ValueError, KeyError, TypeError):
            raise InputError(
                f"{path}: not a reviewer credentials file written by curate; give another --credentials file"
            ) from None
    new = {email.lower(): password for email, password in logins}
    entries = [e for e in entries if e["email"].lower() not in new]
    entries += [{"email": email, "password": password} for email, password in new.items()]
    write_json(path, {"url": url, "reviewers": entries}, file_mode=0o600)
    return len(entries)

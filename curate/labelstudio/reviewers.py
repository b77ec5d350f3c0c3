"""Reviewer accounts. Label Studio's Community edition has no API to create a user with a
password; an account is created the way a person joins: through the organization's
invite link (``/user/signup/?token=...``), with a generated password. The reviewer logs
in with their email and that password and can change it under Account & Settings.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

import httpx

from curate.errors import InputError
from curate.labelstudio.client import LabelStudioClient, LabelStudioError

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

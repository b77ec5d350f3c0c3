"""Zendesk tickets, from an export file or live from the REST API.

- **Export file** (``path``): Zendesk's JSON export of tickets (one ticket object per line,
  each with its ``comments``), or a JSON document holding a list of tickets or
  ``{"tickets": [...], "users": [...]}``. Users (for author roles) come from the same
  document or from ``users_path``.
- **API** (``subdomain`` or ``url``): the cursor-based incremental ticket export
  (``/api/v2/incremental/tickets/cursor.json``) and each changed ticket's comments
  (``/api/v2/tickets/{id}/comments.json``, with the authors side-loaded for their roles).
  The cursor is kept in the run (``state/zendesk-<name>.json``), so the next build fetches
  only tickets changed since; the ingest stage merges them with the earlier ones (a changed
  ticket replaces its old version, a deleted one is removed).

A ticket becomes one Record: its subject is the title, its comments the turns in order.
Comments by agents and admins are ``assistant`` turns, those by end users ``user`` turns
(without user roles: the requester is the user, everyone else an agent). Internal notes
(private comments) are left out unless ``include_internal: true``.

Credentials come only from environment variables named in the config::

    sources:
      - type: zendesk
        name: acme
        subdomain: acme                 # https://acme.zendesk.com
        email: support-bot@acme.com     # API token auth: {email}/token:{token}
        token_env: ZENDESK_TOKEN        # the variable holding the token
        start_time: 2024-01-01          # first build only; later builds continue from the cursor
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any, BinaryIO, Literal

import httpx
from pydantic import Field, ValidationInfo, field_validator, model_validator

from curate.records import RecordError, make_record
from curate.sources.base import (
    Event,
    Reject,
    Skip,
    Source,
    SourceConfig,
    SourceState,
    check_path,
    register_source,
)
from curate.sources.htmltext import html_to_text
from curate.sources.http import ApiClient, env_secret
from curate.sources.limits import (
    TooLarge,
    bounded_lines,
    max_record_bytes_field,
    parse_failure,
    read_capped,
    too_large,
)
from curate.sources.roots import Refusal, configured_entry, open_entry, sha256_entry
from curate.sources.subject import subject_field, subject_into_user_turn

AGENT_ROLES = {"agent", "admin"}


class ZendeskSourceConfig(SourceConfig):
    """Zendesk tickets from an export file or from the REST API."""

    path: str | None = Field(default=None, description="A Zendesk JSON export of tickets (JSON lines or a JSON document), relative to the config file. Leave out to use the API.")
    users_path: str | None = Field(default=None, description="With `path`: a users export (JSON lines or JSON) giving each author's role.")
    subdomain: str | None = Field(default=None, description="API: the account's subdomain (https://<subdomain>.zendesk.com).", pattern=r"^[a-z0-9][a-z0-9\-]*$")
    url: str | None = Field(default=None, description="API: the account's base URL, instead of `subdomain` (a custom host).")
    auth: Literal["token", "oauth"] = Field(default="token", description="API: 'token' (an agent's email + API token, basic auth) or 'oauth' (a bearer token).")
    email: str | None = Field(default=None, description="API, token auth: the agent's email address (not a secret).")
    email_env: str | None = Field(default=None, description="API, token auth: environment variable holding the email address, instead of `email`.")
    token_env: str = Field(default="ZENDESK_TOKEN", description="API: environment variable holding the API or OAuth token.", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    start_time: datetime | date | int | None = Field(default=None, description="API, first build only: export tickets changed since then (a date, a datetime or a Unix time). Default: all tickets.")
    include_internal: bool = Field(default=False, description="Keep internal notes (private comments) as turns.")
    statuses: list[str] | None = Field(default=None, description="Keep only tickets with these statuses (e.g. [solved, closed]); others are skipped with reason status_filtered.")
    page_size: int = Field(default=1000, ge=1, le=1000, description="API: tickets per page of the incremental export.")
    max_wait: float = Field(default=300.0, gt=0, description="API: longest Retry-After (seconds) to wait for when rate limited; longer stops the build.")
    timeout: float = Field(default=60.0, gt=0, description="API: seconds to wait for one answer.")
    max_record_bytes: int = max_record_bytes_field("export file: a JSON line, or a whole JSON document")
    subject_in_user_turn: bool = subject_field()

    @field_validator("path", "users_path")
    @classmethod
    def _exists(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else check_path(v, info)

    @model_validator(mode="after")
    def _one_mode(self) -> ZendeskSourceConfig:
        live = bool(self.subdomain or self.url)
        if self.path and live:
            raise ValueError("give either path (an export file) or subdomain/url (the API), not both")
        if not self.path and not live:
            raise ValueError("give path (an export file) or subdomain/url (the API)")
        if self.subdomain and self.url:
            raise ValueError("give subdomain or url, not both")
        if live and self.auth == "token" and not (self.email or self.email_env):
            raise ValueError("token auth needs email or email_env (the agent the token belongs to)")
        return self


def _load_json_any(fh: BinaryIO, limit: int) -> Iterator[tuple[int, Any, str | None]]:
    """(line, object, error) from a JSON lines file or a JSON document. A line, or a whole
    document, over ``limit`` bytes is an error, read past without being held."""
    head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    fh.seek(0)
    if head.startswith(b"["):
        line, doc, err = _load_document(fh, limit)
        if err is not None or not isinstance(doc, list):
            yield line, doc, err
            return
        for obj in doc:
            yield 0, obj, None
        return
    for n, raw, size in bounded_lines(fh, limit):
        if raw is None:
            yield n, None, too_large("line", size, limit, "max_record_bytes")
            continue
        if not raw.strip():
            continue
        try:
            yield n, json.loads(raw.decode("utf-8-sig" if n == 1 else "utf-8")), None
        except UnicodeDecodeError as exc:
            yield n, None, f"invalid UTF-8 at byte {exc.start}"
        except json.JSONDecodeError as exc:
            if n == 1 and head.startswith(b"{"):
                # a pretty-printed JSON document, not JSON lines
                fh.seek(0)
                line, doc, err = _load_document(fh, limit)
                if err is None:
                    yield 0, doc, None
                elif err.startswith("JSON document of"):  # over the limit
                    yield line, None, err
                else:
                    yield n, None, f"invalid JSON: {exc.msg} (column {exc.colno})"
                return
            yield n, None, f"invalid JSON: {exc.msg} (column {exc.colno})"
        except (RecursionError, MemoryError, ValueError) as exc:
            yield n, None, f"invalid JSON: {parse_failure(exc)}"


def _load_document(fh: BinaryIO, limit: int) -> tuple[int, Any, str | None]:
    try:
        data = read_capped(fh, limit, "JSON document", "max_record_bytes")
    except TooLarge as exc:
        return 1, None, str(exc)
    try:
        return 0, json.loads(data.decode("utf-8-sig")), None
    except json.JSONDecodeError as exc:
        return 1, None, f"invalid JSON: {exc.msg}"
    except UnicodeDecodeError as exc:
        return 1, None, f"invalid JSON: {type(exc).__name__}"
    except (RecursionError, MemoryError, ValueError) as exc:
        return 1, None, f"invalid JSON: {parse_failure(exc)}"


@register_source
class ZendeskSource(Source):
    """Zendesk tickets (export file or incremental API)."""

    type = "zendesk"
    Config = ZendeskSourceConfig
    default_kind = "ticket"
    config: ZendeskSourceConfig

    @property
    def incremental(self) -> bool:  # type: ignore[override]
        return self.config.path is None

    def default_name(self) -> str:
        if self.config.subdomain:
            return self.config.subdomain
        return super().default_name()

    def fingerprint(self) -> dict[str, Any] | None:
        if self.incremental:
            return None
        entries = [configured_entry(self.base_dir, p) for p in (self.config.path, self.config.users_path) if p]
        return {"config": self.config.model_dump(mode="json"), "files": {str(e.path): sha256_entry(e) for e in entries}}

    @property
    def base_url(self) -> str:
        return (self.config.url or f"https://{self.config.subdomain}.zendesk.com").rstrip("/")

    # -- shared: a ticket and its comments to a Record ------------------------------------
    def ticket_event(self, ticket: dict[str, Any], comments: list[dict[str, Any]], roles: dict[Any, str], locator: str) -> Event:
        """The ticket's Record, Skip or Reject; a ticket whose fields have shapes no export
        gives (a comment that is not an object, ids of mixed types) is a reject."""
        try:
            return self._ticket_event(ticket, comments, roles, locator)
        except (TypeError, AttributeError, ValueError, RecursionError, MemoryError) as exc:
            return Reject(locator, f"unreadable ticket: {parse_failure(exc)}")

    def _ticket_event(self, ticket: dict[str, Any], comments: list[dict[str, Any]], roles: dict[Any, str], locator: str) -> Event:
        tid = ticket.get("id")
        if tid is None:
            return Reject(locator, "ticket without an id")
        rid = f"{self.source_id}:{tid}"
        status = ticket.get("status")
        if status == "deleted":
            return Skip(locator, "deleted", record_id=rid)
        if self.config.statuses is not None and status not in self.config.statuses:
            return Skip(locator, "status_filtered", record_id=rid)
        requester = ticket.get("requester_id")
        turns: list[dict[str, str]] = []
        internal = 0
        attachments = 0
        for c in sorted(comments, key=lambda c: (str(c.get("created_at") or ""), c.get("id") or 0)):
            if not isinstance(c, dict):
                return Reject(locator, "a comment is not a JSON object")
            attachments += len(c.get("attachments") or [])
            if c.get("public") is False:
                internal += 1
                if not self.config.include_internal:
                    continue
            text = c.get("plain_body") or c.get("body")
            if not text and c.get("html_body"):
                text = html_to_text(str(c["html_body"]))
            if not isinstance(text, str):
                continue
            author = c.get("author_id")
            role = (c.get("author") or {}).get("role") if isinstance(c.get("author"), dict) else None
            role = role or roles.get(author)
            if role is not None:
                turn_role = "assistant" if role in AGENT_ROLES else "user"
            else:
                turn_role = "user" if author is not None and author == requester else "assistant"
            turns.append({"role": turn_role, "content": text.strip()})
        if not comments and isinstance(ticket.get("description"), str):
            turns.append({"role": "user", "content": ticket["description"].strip()})
        if not any(t["content"] for t in turns) and internal and not self.config.include_internal:
            return Skip(locator, "internal_only", record_id=rid)
        meta = {
            k: ticket.get(k)
            for k in ("status", "priority", "type", "tags", "created_at", "updated_at", "group_id", "brand_id", "via")
            if ticket.get(k) is not None
        }
        if isinstance(meta.get("via"), dict):
            meta["via"] = meta["via"].get("channel")
        sat = ticket.get("satisfaction_rating")
        if isinstance(sat, dict) and sat.get("score"):
            meta["satisfaction"] = sat["score"]
        meta.update({"ticket_id": tid, "comments": len(comments), "internal_notes": internal, "attachments": attachments})
        subject = ticket.get("subject") or ticket.get("raw_subject")
        try:
            return make_record(
                source=self.source_id,
                native_id=str(tid),
                kind=self.kind,
                messages=subject_into_user_turn(turns, subject) if self.config.subject_in_user_turn else turns,
                title=subject,
                meta=meta,
                locator=locator,
            )
        except RecordError as exc:
            return Reject(locator, str(exc))

    def read(self, state: SourceState) -> Iterator[Event]:
        self.counts, self.warnings = {}, []
        if self.incremental:
            yield from self.read_api(state)
        else:
            yield from self.read_file()

    # -- export file --------------------------------------------------------------------
    def _users_from(self, objs: list[Any]) -> dict[Any, str]:
        roles: dict[Any, str] = {}
        for u in objs:
            if isinstance(u, dict) and "user" in u and isinstance(u["user"], dict):
                u = u["user"]
            if isinstance(u, dict) and u.get("id") is not None and u.get("role"):
                roles[u["id"]] = str(u["role"])
        return roles

    def _json_file(self, configured: str) -> Iterator[tuple[int, Any, str | None]]:
        """The export file's objects, or one error when it may not or cannot be read."""
        entry = configured_entry(self.base_dir, configured)
        if entry.real is None:
            yield 0, None, entry.refused or "not read"
            return
        try:
            with open_entry(entry.real) as fh:
                self.count("files")
                yield from _load_json_any(fh, self.config.max_record_bytes)
        except Refusal as exc:
            yield 0, None, str(exc)
        except OSError as exc:
            yield 0, None, f"unreadable file: {exc.strerror or type(exc).__name__}"

    def read_file(self) -> Iterator[Event]:
        rel = self.config.path or ""
        roles: dict[Any, str] = {}
        if self.config.users_path:
            users: list[Any] = []
            for line, obj, err in self._json_file(self.config.users_path):
                if err is None:
                    users.extend(obj.get("users", []) if isinstance(obj, dict) and "users" in obj else [obj])
                elif not line:  # the users file as a whole: its roles are missing
                    yield Reject(self.config.users_path, err)
            roles = self._users_from(users)
        items: list[tuple[str, Any]] = []
        for line, obj, err in self._json_file(rel):
            loc = f"{rel}:{line}" if line else rel
            if err is not None:
                yield Reject(loc, err)
                continue
            if isinstance(obj, dict) and isinstance(obj.get("tickets"), list):
                roles.update(self._users_from(obj.get("users") or []))
                items.extend((f"{rel}#ticket={t.get('id') if isinstance(t, dict) else i}", t) for i, t in enumerate(obj["tickets"]))
            else:
                items.append((loc if line else f"{rel}#{len(items) + 1}", obj))
        for loc, t in items:
            if isinstance(t, dict) and isinstance(t.get("ticket"), dict):
                t = t["ticket"]
            if not isinstance(t, dict):
                yield Reject(loc, f"expected a ticket object, got {type(t).__name__}")
                continue
            comments = t.get("comments") or []
            if not isinstance(comments, list):
                yield Reject(loc, "comments is not a list")
                continue
            yield self.ticket_event(t, comments, roles, loc)

    # -- API ------------------------------------------------------------------------------
    def client(self) -> ApiClient:
        cfg = self.config
        token = env_secret(cfg.token_env, f"source {self.source_id}")
        if cfg.auth == "oauth":
            auth = None
            headers = {"Authorization": f"Bearer {token}"}
            hint = f"the OAuth token in ${cfg.token_env}"
        else:
            email = cfg.email or env_secret(cfg.email_env or "", f"source {self.source_id}")
            auth = httpx.BasicAuth(f"{email}/token", token)
            headers = {}
            hint = f"the API token in ${cfg.token_env}" + (f" and the email in ${cfg.email_env}" if cfg.email_env else " and the email in the config")
        return ApiClient(self.base_url, auth=auth, headers=headers, credential_hint=hint, timeout=cfg.timeout, max_wait=cfg.max_wait)

    def _start_time(self) -> int:
        st = self.config.start_time
        if st is None:
            return 0
        if isinstance(st, int):
            return st
        if isinstance(st, datetime):
            return int((st if st.tzinfo else st.replace(tzinfo=timezone.utc)).timestamp())
        return int(datetime(st.year, st.month, st.day, tzinfo=timezone.utc).timestamp())

    def read_api(self, state: SourceState) -> Iterator[Event]:
        with self.client() as api:
            cursor = state.get("cursor")
            params: dict[str, Any] = {"per_page": self.config.page_size}
            if cursor:
                params["cursor"] = cursor
            else:
                params["start_time"] = self._start_time()
            url: str | None = "/api/v2/incremental/tickets/cursor.json"
            pages = 0
            while url:
                page = api.get_json(url, params=params)
                pages += 1
                if not isinstance(page, dict) or not isinstance(page.get("tickets"), list):
                    from curate.sources.http import ApiError

                    raise ApiError(f"{api.url('/api/v2/incremental/tickets/cursor.json')}: unexpected answer (no tickets list)")
                for t in page["tickets"]:
                    if not isinstance(t, dict):
                        continue
                    loc = f"{self.base_url}/agent/tickets/{t.get('id')}"
                    if t.get("status") == "deleted":
                        yield self.ticket_event(t, [], {}, loc)
                        continue
                    comments, roles = self.fetch_comments(api, t["id"]) if t.get("id") is not None else ([], {})
                    yield self.ticket_event(t, comments, roles, loc)
                after = page.get("after_cursor")
                if after:
                    state.set("cursor", after)
                if page.get("end_of_stream") or not after:
                    url = None
                else:
                    url = "/api/v2/incremental/tickets/cursor.json"
                    params = {"cursor": after, "per_page": self.config.page_size}
            state.set("last_run", {"pages": pages, "requests": api.requests, "waited_s": round(api.waited, 1)})

    def fetch_comments(self, api: ApiClient, ticket_id: Any) -> tuple[list[dict[str, Any]], dict[Any, str]]:
        comments: list[dict[str, Any]] = []
        roles: dict[Any, str] = {}
        url: str | None = f"/api/v2/tickets/{ticket_id}/comments.json"
        params: dict[str, Any] | None = {"include": "users", "page[size]": 100}
        while url:
            page = api.get_json(url, params=params)
            params = None  # the next-page URL carries them
            comments.extend(c for c in page.get("comments") or [] if isinstance(c, dict))
            roles.update(self._users_from(page.get("users") or []))
            meta = page.get("meta") or {}
            links = page.get("links") or {}
            if meta.get("has_more") and links.get("next"):
                url = links["next"]
            elif page.get("next_page"):
                url = page["next_page"]
            else:
                url = None
        return comments, roles


__all__ = ["ZendeskSource", "ZendeskSourceConfig"]

"""Jira issues, live through the REST API (search by JQL) or from Jira's CSV export.

- **API** (``url``): Jira Cloud's ``/rest/api/3/search/jql`` (paged with
  ``nextPageToken``; descriptions and comments in Atlassian Document Format, turned into
  text here), or with ``api_version: 2`` Jira Server / Data Center's ``/rest/api/2/search``
  (paged with ``startAt``; plain text). An issue with more comments than the search returns
  gets the rest from ``/issue/{id}/comment``. The largest ``updated`` seen is kept in the run
  (``state/jira-<name>.json``); the next build asks only for issues updated since (with a day
  of overlap: JQL dates are in the account's time zone) and the ingest stage merges them
  with the earlier ones by issue id.
- **CSV export** (``path``): Jira's "Export Excel CSV (all fields)": repeated ``Comment``
  columns hold ``date;author;text``.

An issue becomes one Record: its summary is the title, the description and the comments the
turns. The reporter's turns are ``user``; everyone else's are ``assistant`` (or, with
``agent_accounts``, only those accounts'). Jira Service Management internal comments are left
out unless ``include_internal: true``.

Example::

    sources:
      - type: jira
        name: support
        url: https://acme.atlassian.net
        jql: project = SUP AND issuetype = "Support Request"
        email: bot@acme.com
        token_env: JIRA_TOKEN
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
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
from curate.sources.csvrows import csv_records
from curate.sources.http import ApiClient, ApiError, env_secret
from curate.sources.limits import max_record_bytes_field
from curate.sources.roots import Refusal, configured_entry, open_entry, sha256_entry
from curate.sources.subject import subject_field, subject_into_user_turn

META_FIELDS = ["status", "priority", "issuetype", "labels", "components", "resolution", "created", "updated", "project"]


class JiraSourceConfig(SourceConfig):
    """Jira issues from the REST API or a CSV export."""

    path: str | None = Field(default=None, description="A Jira CSV export (all fields), relative to the config file. Leave out to use the API.")
    url: str | None = Field(default=None, description="API: the site's base URL, e.g. https://acme.atlassian.net.")
    jql: str = Field(default="", description="API: which issues (JQL without ORDER BY), e.g. 'project = SUP'. Empty: every issue the account can see.")
    api_version: Literal[2, 3] = Field(default=3, description="API: 3 for Jira Cloud (search/jql, nextPageToken, ADF), 2 for Jira Server / Data Center (search, startAt, plain text).")
    auth: Literal["basic", "bearer"] = Field(default="basic", description="API: 'basic' (email + API token, Jira Cloud) or 'bearer' (a personal access token, Server / Data Center).")
    email: str | None = Field(default=None, description="API, basic auth: the account's email address (not a secret).")
    email_env: str | None = Field(default=None, description="API, basic auth: environment variable holding the email address, instead of `email`.")
    token_env: str = Field(default="JIRA_TOKEN", description="API: environment variable holding the API token or personal access token.", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    include_internal: bool = Field(default=False, description="Keep Jira Service Management internal comments (not shared with the customer).")
    agent_accounts: list[str] = Field(default_factory=list, description="Account ids (or user names / display names in a CSV) whose turns are assistant turns. Empty: everyone but the reporter.")
    page_size: int = Field(default=100, ge=1, le=5000, description="API: issues per search page.")
    max_wait: float = Field(default=300.0, gt=0, description="API: longest Retry-After (seconds) to wait for when rate limited.")
    timeout: float = Field(default=60.0, gt=0, description="API: seconds to wait for one answer.")
    delimiter: str = Field(default=",", min_length=1, max_length=1, description="CSV: field separator.")
    max_record_bytes: int = max_record_bytes_field("CSV export: a row")
    subject_in_user_turn: bool = subject_field()

    @field_validator("path")
    @classmethod
    def _exists(cls, v: str | None, info: ValidationInfo) -> str | None:
        return None if v is None else check_path(v, info)

    @field_validator("jql")
    @classmethod
    def _no_order(cls, v: str) -> str:
        if " order by " in f" {v.lower()} ":
            raise ValueError("leave ORDER BY out of jql: curate orders by updated to fetch incrementally")
        return v.strip()

    @model_validator(mode="after")
    def _one_mode(self) -> JiraSourceConfig:
        if bool(self.path) == bool(self.url):
            raise ValueError("give either path (a CSV export) or url (the API)")
        if self.url and self.auth == "basic" and not (self.email or self.email_env):
            raise ValueError("basic auth needs email or email_env (the account the token belongs to)")
        return self


# -- Atlassian Document Format ----------------------------------------------------------------


def adf_to_text(node: Any) -> str:
    """Atlassian Document Format (a JSON tree) to plain text with light Markdown."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    out: list[str] = []
    _adf(node, out, 0)
    text = "".join(out)
    lines = [ln.rstrip() for ln in text.split("\n")]
    import re

    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _adf_children(node: dict[str, Any], out: list[str], depth: int) -> None:
    for child in node.get("content") or []:
        _adf(child, out, depth)


def _adf(node: Any, out: list[str], depth: int) -> None:
    if not isinstance(node, dict):
        return
    t = node.get("type")
    attrs = node.get("attrs") or {}
    if t == "text":
        out.append(str(node.get("text", "")))
    elif t == "hardBreak":
        out.append("\n")
    elif t in ("paragraph", "heading"):
        if t == "heading":
            out.append("#" * int(attrs.get("level", 1) or 1) + " ")
        _adf_children(node, out, depth)
        out.append("\n\n")
    elif t in ("bulletList", "orderedList"):
        for i, item in enumerate(node.get("content") or [], start=1):
            out.append("  " * depth + ("- " if t == "bulletList" else f"{i}. "))
            sub: list[str] = []
            for c in (item.get("content") or []) if isinstance(item, dict) else []:
                _adf(c, sub, depth + 1)
            out.append("".join(sub).strip("\n") + "\n")
        out.append("\n")
    elif t == "codeBlock":
        out.append(f"```{attrs.get('language') or ''}\n")
        _adf_children(node, out, depth)
        out.append("\n```\n\n")
    elif t == "blockquote":
        sub = []
        _adf_children(node, sub, depth)
        out.append("\n".join("> " + ln for ln in "".join(sub).strip().split("\n")) + "\n\n")
    elif t == "mention":
        out.append(str(attrs.get("text") or "@user"))
    elif t == "emoji":
        out.append(str(attrs.get("text") or attrs.get("shortName") or ""))
    elif t in ("inlineCard", "blockCard", "embedCard"):
        out.append(str(attrs.get("url") or ""))
    elif t in ("status", "placeholder"):
        out.append(str(attrs.get("text") or ""))
    elif t == "date":
        ts = attrs.get("timestamp")
        try:
            out.append(datetime.fromtimestamp(int(ts) / 1000, timezone.utc).date().isoformat())
        except (TypeError, ValueError, OverflowError):
            pass
    elif t == "rule":
        out.append("\n---\n\n")
    elif t == "table":
        for row in node.get("content") or []:
            cells = []
            for cell in (row.get("content") or []) if isinstance(row, dict) else []:
                sub: list[str] = []
                _adf(cell, sub, depth)
                cells.append(" ".join("".join(sub).split()))
            out.append(" | ".join(cells) + "\n")
        out.append("\n")
    elif t in ("mediaSingle", "mediaGroup", "media", "mediaInline"):
        return  # attachments are counted, not ingested
    else:  # doc, panel, expand, tableCell, listItem, ... : their content
        _adf_children(node, out, depth)
        if t in ("panel", "expand", "nestedExpand", "decisionList", "taskList"):
            out.append("\n")


def _adf_media(node: Any) -> int:
    if isinstance(node, dict):
        n = 1 if node.get("type") in ("media", "mediaInline") else 0
        return n + sum(_adf_media(c) for c in node.get("content") or [])
    return 0


# -- the adapter ----------------------------------------------------------------------------


@register_source
class JiraSource(Source):
    """Jira issues (REST API search by JQL, or a CSV export)."""

    type = "jira"
    Config = JiraSourceConfig
    default_kind = "ticket"
    config: JiraSourceConfig

    @property
    def incremental(self) -> bool:  # type: ignore[override]
        return self.config.path is None

    def default_name(self) -> str:
        if self.config.url:
            host = httpx.URL(self.config.url).host or "jira"
            return host.split(".")[0]
        return super().default_name()

    def fingerprint(self) -> dict[str, Any] | None:
        if self.incremental:
            return None
        entry = configured_entry(self.base_dir, self.config.path or "")
        return {"config": self.config.model_dump(mode="json"), "file": sha256_entry(entry)}

    def read(self, state: SourceState) -> Iterator[Event]:
        self.counts, self.warnings = {}, []
        yield from (self.read_api(state) if self.incremental else self.read_csv())

    def _with_subject(self, turns: list[dict[str, Any]], summary: Any) -> list[dict[str, Any]]:
        return subject_into_user_turn(turns, summary) if self.config.subject_in_user_turn else turns

    def _role(self, author: str | None, reporter: str | None) -> str:
        if self.config.agent_accounts:
            return "assistant" if author in self.config.agent_accounts else "user"
        return "user" if author is not None and author == reporter else "assistant"

    # -- API --------------------------------------------------------------------------------
    def client(self) -> ApiClient:
        cfg = self.config
        token = env_secret(cfg.token_env, f"source {self.source_id}")
        if cfg.auth == "bearer":
            return ApiClient(cfg.url or "", headers={"Authorization": f"Bearer {token}"},
                             credential_hint=f"the personal access token in ${cfg.token_env}", timeout=cfg.timeout, max_wait=cfg.max_wait)
        email = cfg.email or env_secret(cfg.email_env or "", f"source {self.source_id}")
        hint = f"the API token in ${cfg.token_env}" + (f" and the email in ${cfg.email_env}" if cfg.email_env else " and the email in the config")
        return ApiClient(cfg.url or "", auth=httpx.BasicAuth(email, token), credential_hint=hint, timeout=cfg.timeout, max_wait=cfg.max_wait)

    def _jql(self, since: str | None) -> str:
        parts = [f"({self.config.jql})"] if self.config.jql else []
        if since:
            parts.append(f'updated >= "{since}"')
        return " AND ".join(parts) + " ORDER BY updated ASC"

    def read_api(self, state: SourceState) -> Iterator[Event]:
        cursor = state.get("cursor")
        since = None
        if cursor:
            try:
                since = (_parse_jira_time(cursor) - timedelta(days=1)).strftime("%Y/%m/%d %H:%M")
            except ValueError:
                since = None
        fields = ["summary", "description", "comment", "reporter", "attachment", *META_FIELDS]
        v = self.config.api_version
        newest = cursor
        with self.client() as api:
            token: str | None = None
            start = 0
            while True:
                if v == 3:
                    body: dict[str, Any] = {"jql": self._jql(since), "maxResults": self.config.page_size, "fields": fields}
                    if token:
                        body["nextPageToken"] = token
                    page = api.request("POST", "/rest/api/3/search/jql", json=body)
                else:
                    page = api.request("POST", "/rest/api/2/search", json={
                        "jql": self._jql(since), "startAt": start, "maxResults": self.config.page_size, "fields": fields})
                if not isinstance(page, dict) or not isinstance(page.get("issues"), list):
                    raise ApiError(f"{api.url(f'/rest/api/{v}/search')}: unexpected answer (no issues list)")
                for issue in page["issues"]:
                    if not isinstance(issue, dict):
                        continue
                    yield self.issue_event(api, issue)
                    updated = (issue.get("fields") or {}).get("updated")
                    if isinstance(updated, str) and (newest is None or _later(updated, newest)):
                        newest = updated
                if v == 3:
                    token = page.get("nextPageToken")
                    if not token or page.get("isLast") is True:
                        break
                else:
                    n = len(page["issues"])
                    start += n
                    if n == 0 or start >= int(page.get("total", start)):
                        break
        if newest:
            state.set("cursor", newest)
        state.set("last_run", {"requests": api.requests, "waited_s": round(api.waited, 1)})

    def _all_comments(self, api: ApiClient, issue: dict[str, Any]) -> list[dict[str, Any]]:
        block = (issue.get("fields") or {}).get("comment") or {}
        comments = [c for c in block.get("comments") or [] if isinstance(c, dict)]
        total = block.get("total")
        if isinstance(total, int) and total > len(comments):
            comments = []
            start = 0
            while True:
                page = api.get_json(f"/rest/api/{self.config.api_version}/issue/{issue.get('id')}/comment",
                                    params={"startAt": start, "maxResults": 100})
                got = [c for c in page.get("comments") or [] if isinstance(c, dict)]
                comments.extend(got)
                start += len(got)
                if not got or start >= int(page.get("total", 0)):
                    break
        return comments

    def issue_event(self, api: ApiClient | None, issue: dict[str, Any]) -> Event:
        iid = issue.get("id")
        key = issue.get("key")
        base = (self.config.url or "").rstrip("/")
        locator = f"{base}/browse/{key}" if key else f"{base}/rest/api/{self.config.api_version}/issue/{iid}"
        if iid is None:
            return Reject(locator, "issue without an id")
        f = issue.get("fields") or {}
        reporter = _account(f.get("reporter"))
        turns: list[dict[str, str]] = []
        attachments = len(f.get("attachment") or [])
        desc = f.get("description")
        attachments += _adf_media(desc)
        if desc:
            turns.append({"role": "user" if not self.config.agent_accounts or reporter not in self.config.agent_accounts else "assistant",
                          "content": adf_to_text(desc)})
        comments = self._all_comments(api, issue) if api is not None else []
        internal = 0
        for c in comments:
            if c.get("jsdPublic") is False:
                internal += 1
                if not self.config.include_internal:
                    continue
            body = c.get("body")
            attachments += _adf_media(body)
            turns.append({"role": self._role(_account(c.get("author")), reporter), "content": adf_to_text(body)})
        meta: dict[str, Any] = {"key": key, "issue_id": iid, "comments": len(comments), "internal_comments": internal, "attachments": attachments}
        for name in META_FIELDS:
            val = f.get(name)
            if isinstance(val, dict):
                val = val.get("name") or val.get("key") or val.get("value")
            elif isinstance(val, list):
                val = [x.get("name") if isinstance(x, dict) else x for x in val]
            if val not in (None, [], ""):
                meta[name] = val
        if not turns and internal:
            return Skip(locator, "internal_only", record_id=f"{self.source_id}:{iid}")
        try:
            return make_record(source=self.source_id, native_id=str(iid), kind=self.kind,
                               messages=self._with_subject(turns, f.get("summary")),
                               title=f.get("summary"), meta=meta, locator=locator)
        except RecordError as exc:
            return Reject(locator, str(exc))

    # -- CSV export -------------------------------------------------------------------------
    def read_csv(self) -> Iterator[Event]:
        rel = self.config.path or ""
        entry = configured_entry(self.base_dir, rel)
        if entry.real is None:
            yield Reject(rel, entry.refused or "not read")
            return
        try:
            with open_entry(entry.real) as fh:
                self.count("files")
                yield from self._csv_events(fh, rel)
        except Refusal as exc:
            yield Reject(rel, str(exc))
        except OSError as exc:
            yield Reject(rel, f"unreadable file: {exc.strerror or type(exc).__name__}")

    def _csv_events(self, fh: BinaryIO, rel: str) -> Iterator[Event]:
        records = csv_records(fh, encoding="utf-8", label="UTF-8", delimiter=self.config.delimiter,
                              limit=self.config.max_record_bytes)
        first = next(records, None)
        if first is None:
            return
        _, header, problem = first
        if header is None:
            yield Reject(f"{rel}:1", f"unreadable CSV header: {problem}")
            return
        header = [h.strip() for h in header]
        need = {"Summary", "Issue id"}
        if not need <= set(header) and not {"Summary", "Issue key"} <= set(header):
            yield Reject(f"{rel}:1", "not a Jira CSV export (no 'Summary' and 'Issue id' / 'Issue key' columns)")
            return
        for start, values, problem in records:
            loc = f"{rel}:{start}"
            if values is None:
                yield Reject(loc, problem or "unreadable row")
                continue
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != len(header):
                yield Reject(loc, f"expected {len(header)} fields, found {len(values)}")
                continue
            yield self.csv_event(header, values, loc)

    def csv_event(self, header: list[str], values: list[str], loc: str) -> Event:
        cols: dict[str, list[str]] = {}
        for h, v in zip(header, values):
            cols.setdefault(h, []).append(v)

        def one(name: str) -> str | None:
            vals = [v for v in cols.get(name, []) if v.strip()]
            return vals[0].strip() if vals else None

        iid = one("Issue id") or one("Issue key")
        if not iid:
            return Reject(loc, "missing Issue id")
        reporter_ids = {x for x in (one("Reporter Id"), one("Reporter")) if x}
        turns: list[dict[str, str]] = []
        desc = one("Description")
        if desc:
            turns.append({"role": "user", "content": desc})
        n_comments = 0
        for cell in cols.get("Comment", []):
            if not cell.strip():
                continue
            n_comments += 1
            parts = cell.split(";", 2)
            if len(parts) == 3:
                _, author, body = parts
            else:
                author, body = None, cell
            if self.config.agent_accounts:
                role = "assistant" if author in self.config.agent_accounts else "user"
            else:
                role = "user" if author in reporter_ids else "assistant"
            turns.append({"role": role, "content": body.strip()})
        meta: dict[str, Any] = {"key": one("Issue key"), "issue_id": iid, "comments": n_comments,
                                "attachments": sum(1 for v in cols.get("Attachment", []) if v.strip())}
        for name, col in (("status", "Status"), ("priority", "Priority"), ("issuetype", "Issue Type"),
                          ("resolution", "Resolution"), ("created", "Created"), ("updated", "Updated"),
                          ("project", "Project key")):
            val = one(col)
            if val:
                meta[name] = val
        labels = [v for v in cols.get("Labels", []) if v.strip()]
        if labels:
            meta["labels"] = labels
        try:
            return make_record(source=self.source_id, native_id=iid, kind=self.kind,
                               messages=self._with_subject(turns, one("Summary")),
                               title=one("Summary"), meta=meta, locator=loc)
        except RecordError as exc:
            return Reject(loc, str(exc))


def _account(user: Any) -> str | None:
    if isinstance(user, dict):
        return user.get("accountId") or user.get("name") or user.get("key") or user.get("emailAddress")
    return None


def _parse_jira_time(value: str) -> datetime:
    """Jira's '2024-03-21T10:15:30.000+0000'."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")


def _later(a: str, b: str) -> bool:
    try:
        return _parse_jira_time(a) > _parse_jira_time(b)
    except ValueError:
        return a > b


__all__ = ["JiraSource", "JiraSourceConfig", "adf_to_text"]

"""Fake Zendesk and Jira services on :class:`ApiServer`.

Zendesk: the cursor-based incremental ticket
export and the ticket comments endpoint, with the response shapes of Zendesk's API
reference (``tickets``, ``after_cursor``, ``after_url``, ``before_cursor``,
``end_of_stream``; comments with ``public``, ``plain_body``, side-loaded ``users`` with
their ``role``, cursor pagination with ``meta.has_more`` and ``links.next``)."""

from __future__ import annotations

import base64
from typing import Any

from source_api_server import ApiServer, Reply, Request

USERS = [
    {"id": 100, "name": "Anna", "role": "end-user"},
    {"id": 200, "name": "Ben", "role": "agent"},
    {"id": 300, "name": "Cleo", "role": "admin"},
]


def _ticket(tid: int, subject: str, status: str, updated: int) -> dict[str, Any]:
    return {
        "id": tid, "url": f"https://acme.zendesk.com/api/v2/tickets/{tid}.json", "subject": subject,
        "raw_subject": subject, "description": "(first comment)", "status": status, "priority": "normal",
        "type": "question", "requester_id": 100, "submitter_id": 100, "assignee_id": 200, "group_id": 9,
        "tags": ["mug"], "via": {"channel": "email"}, "created_at": "2024-03-01T10:00:00Z",
        "updated_at": f"2024-03-0{min(updated, 9)}T10:00:00Z", "generated_timestamp": updated,
    }


def _comment(cid: int, author: int, text: str, public: bool = True, created: str = "2024-03-01T10:00:00Z") -> dict[str, Any]:
    return {
        "id": cid, "type": "Comment", "author_id": author, "body": text, "plain_body": text,
        "html_body": f"<div class=\"zd-comment\"><p>{text}</p></div>", "public": public, "audit_id": cid * 10,
        "attachments": [], "via": {"channel": "web"}, "created_at": created, "metadata": {},
    }


class FakeZendesk:
    """Tickets change over time; the export returns the changes after a cursor."""

    def __init__(self, server: ApiServer, page_size: int = 2, comment_page: int = 2):
        self.server = server
        self.page_size = page_size
        self.comment_page = comment_page
        self.changes: list[dict[str, Any]] = []  # ticket versions in the order they changed
        self.comments: dict[int, list[dict[str, Any]]] = {}
        server.route("GET", r"/api/v2/incremental/tickets/cursor\.json")(self.export)
        server.route("GET", r"/api/v2/tickets/(\d+)/comments\.json")(self.ticket_comments)

    def change(self, ticket: dict[str, Any], comments: list[dict[str, Any]] | None = None) -> None:
        self.changes.append(ticket)
        if comments is not None:
            self.comments[ticket["id"]] = comments

    def seed(self) -> None:
        self.change(_ticket(1, "Broken mug", "solved", 1), [
            _comment(11, 100, "My mug arrived broken."),
            _comment(12, 300, "Internal: refund approved by finance.", public=False, created="2024-03-01T10:05:00Z"),
            _comment(13, 200, "Sorry! A new mug is on its way.", created="2024-03-01T11:00:00Z"),
        ])
        self.change(_ticket(2, "Invoice address", "open", 2), [
            _comment(21, 100, "Please change the address on invoice 77."),
            _comment(22, 200, "Done, the corrected invoice is attached.", created="2024-03-02T09:00:00Z"),
            _comment(23, 100, "Thanks, got it.", created="2024-03-02T10:00:00Z"),
            _comment(24, 200, "You're welcome.", created="2024-03-02T10:30:00Z"),
            _comment(25, 100, "One more thing: can you add my VAT number?", created="2024-03-02T11:00:00Z"),
        ])
        self.change(_ticket(3, "Only internal", "open", 3), [
            _comment(31, 200, "Spam check, nothing to do.", public=False),
        ])

    def export(self, req: Request) -> Reply:
        cursor = req.query.get("cursor", [None])[0]
        if cursor is not None:
            start = int(base64.urlsafe_b64decode(cursor.encode()).decode())
        else:
            start_time = int(req.query.get("start_time", ["0"])[0])
            start = next((i for i, t in enumerate(self.changes) if t["generated_timestamp"] >= start_time), len(self.changes))
        per_page = min(int(req.query.get("per_page", ["1000"])[0]), self.page_size)
        page = self.changes[start: start + per_page]
        end = start + len(page)
        after = base64.urlsafe_b64encode(str(end).encode()).decode()
        return Reply(200, {
            "tickets": page,
            "after_url": f"{self.server.url}/api/v2/incremental/tickets/cursor.json?cursor={after}",
            "after_cursor": after,
            "before_url": None,
            "before_cursor": None,
            "end_of_stream": end >= len(self.changes),
        })

    def ticket_comments(self, req: Request) -> Reply:
        tid = int(req.match[0])
        comments = self.comments.get(tid, [])
        after = int(req.query.get("page[after]", ["0"])[0])
        page = comments[after: after + self.comment_page]
        more = after + len(page) < len(comments)
        users = [u for u in USERS if u["id"] in {c["author_id"] for c in page}]
        return Reply(200, {
            "comments": page,
            "users": users,
            "meta": {"has_more": more, "after_cursor": str(after + len(page)) if more else None, "before_cursor": None},
            "links": {"next": f"{self.server.url}/api/v2/tickets/{tid}/comments.json?page[after]={after + len(page)}&page[size]={self.comment_page}&include=users" if more else None, "prev": None},
        })





# -- Jira ---------------------------------------------------------------------------------


def adf(*paragraphs: Any) -> dict[str, Any]:
    """An Atlassian Document Format document; a str is a paragraph, a dict a node."""
    content = []
    for p in paragraphs:
        if isinstance(p, str):
            content.append({"type": "paragraph", "content": [{"type": "text", "text": p}]})
        else:
            content.append(p)
    return {"type": "doc", "version": 1, "content": content}


def jira_issue(iid: str, key: str, summary: str, updated: str, comments: list[dict[str, Any]], shown: int | None = None) -> dict[str, Any]:
    shown_comments = comments if shown is None else comments[:shown]
    return {
        "id": iid, "key": key, "self": f"https://acme.atlassian.net/rest/api/3/issue/{iid}",
        "fields": {
            "summary": summary,
            "description": adf(
                "The app crashes when I open settings.",
                {"type": "bulletList", "content": [
                    {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Android 14"}]}]},
                    {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "version 2.3.1"}]}]},
                ]},
                {"type": "codeBlock", "attrs": {"language": "text"}, "content": [{"type": "text", "text": "java.lang.NullPointerException"}]},
                {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "abc", "type": "file"}}]},
            ),
            "comment": {"comments": shown_comments, "maxResults": len(shown_comments), "total": len(comments), "startAt": 0},
            "reporter": {"accountId": "cust-1", "displayName": "Customer One"},
            "status": {"name": "Done"}, "priority": {"name": "High"}, "issuetype": {"name": "Support"},
            "labels": ["android"], "resolution": {"name": "Fixed"}, "project": {"key": "SUP", "name": "Support"},
            "created": "2024-03-01T10:00:00.000+0000", "updated": updated, "attachment": [{"id": "1", "filename": "crash.png"}],
        },
    }


def jira_comment(cid: str, author: str, text: str, public: bool | None = None) -> dict[str, Any]:
    c = {"id": cid, "author": {"accountId": author, "displayName": author}, "body": adf(
        {"type": "paragraph", "content": [{"type": "text", "text": text}, {"type": "hardBreak"},
                                          {"type": "mention", "attrs": {"id": "x", "text": "@Customer One"}}]}),
         "created": "2024-03-01T11:00:00.000+0000", "updated": "2024-03-01T11:00:00.000+0000"}
    if public is not None:
        c["jsdPublic"] = public
    return c


class FakeJira:
    """POST /rest/api/3/search/jql (nextPageToken paging, 'updated >= "..."' honoured),
    GET /rest/api/3/issue/{id}/comment (startAt paging)."""

    def __init__(self, server: ApiServer, page_size: int = 2):
        self.server = server
        self.page_size = page_size
        self.issues: list[dict[str, Any]] = []
        self.all_comments: dict[str, list[dict[str, Any]]] = {}
        server.route("POST", r"/rest/api/3/search/jql")(self.search)
        server.route("GET", r"/rest/api/3/issue/(\w+)/comment")(self.comments)

    def add(self, issue: dict[str, Any], comments: list[dict[str, Any]]) -> None:
        self.issues = [i for i in self.issues if i["id"] != issue["id"]] + [issue]
        self.all_comments[issue["id"]] = comments

    def seed(self) -> None:
        c1 = [jira_comment("c1", "agent-7", "Fixed in 2.3.2, please update."),
              jira_comment("c2", "agent-7", "Internal: root cause was a null locale.", public=False),
              jira_comment("c3", "cust-1", "Updated, works now. Thanks!")]
        self.add(jira_issue("10001", "SUP-1", "Crash in settings", "2024-03-02T10:00:00.000+0000", c1, shown=2), c1)
        c2 = [jira_comment("c4", "agent-8", "Which browser do you use?")]
        self.add(jira_issue("10002", "SUP-2", "Login loop", "2024-03-03T10:00:00.000+0000", c2), c2)
        self.add(jira_issue("10003", "SUP-3", "Export button missing", "2024-03-04T10:00:00.000+0000", []), [])

    def search(self, req: Request) -> Reply:
        import re
        from datetime import datetime

        body = req.body or {}
        issues = sorted(self.issues, key=lambda i: i["fields"]["updated"])
        m = re.search(r'updated >= "([^"]+)"', body.get("jql", ""))
        if m:
            since = datetime.strptime(m.group(1), "%Y/%m/%d %H:%M")
            issues = [i for i in issues if datetime.strptime(i["fields"]["updated"][:16], "%Y-%m-%dT%H:%M") >= since]
        start = int(body.get("nextPageToken") or 0)
        size = min(int(body.get("maxResults", 50)), self.page_size)
        page = issues[start: start + size]
        nxt = start + len(page)
        out: dict[str, Any] = {"issues": page, "isLast": nxt >= len(issues)}
        if nxt < len(issues):
            out["nextPageToken"] = str(nxt)
        return Reply(200, out)

    def comments(self, req: Request) -> Reply:
        iid = req.match[0]
        comments = self.all_comments.get(iid, [])
        start = int(req.query.get("startAt", ["0"])[0])
        size = int(req.query.get("maxResults", ["50"])[0])
        return Reply(200, {"comments": comments[start: start + size], "startAt": start, "maxResults": size, "total": len(comments)})

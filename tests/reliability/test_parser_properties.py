"""Property-based tests of the readers: JSONL and CSV files, email messages, Markdown and
HTML documents and the chunker never raise on any input, account for every input (a
record or a reject/skip with a reason, exactly one event per input), produce records that
can be stored, and lose no text they were given."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import tempfile
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from curate.records import records_frame
from curate.sources.base import Reject, Skip, SourceState, get_source_class
from curate.sources.chunking import Section, make_chunks

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(type_: str, folder: Path, **config) -> list:
    cls = get_source_class(type_)
    conf = cls.Config.model_validate({"type": type_, **config}, context={"base_dir": folder})
    return list(cls(conf, folder).read(SourceState(folder / "state.json")))


def storable(records: list[dict]) -> None:
    """The records go into a Parquet table as the ingest stage writes it."""
    records_frame(records).write_parquet(io.BytesIO())


def split(events: list) -> tuple[list[dict], list[Reject], list[Skip]]:
    recs = [e for e in events if isinstance(e, dict)]
    rejects = [e for e in events if isinstance(e, Reject)]
    skips = [e for e in events if isinstance(e, Skip)]
    assert len(recs) + len(rejects) + len(skips) == len(events)
    assert all(r.reason and r.locator for r in rejects + skips)
    storable(recs)
    return recs, rejects, skips


# -- JSONL ------------------------------------------------------------------------------------

json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
ticket_obj = st.fixed_dictionaries(
    {}, optional={"id": st.one_of(st.text(max_size=8), st.integers(), st.none()), "q": json_value | st.text(),
                  "a": json_value | st.text(), "t": json_value, "cat": json_value},
)
jsonl_line = st.one_of(
    ticket_obj.map(lambda o: json.dumps(o).encode()),
    ticket_obj.map(lambda o: json.dumps(o, ensure_ascii=False).encode("utf-8", "surrogatepass")),
    st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.binary(max_size=40),
    st.sampled_from([b"", b"   ", b"\t", b"{}", b"[]", b"null", b'{"q": "\\ud800"}', b"\xef\xbb\xbf{}", b"\r"]),
).map(lambda b: b.replace(b"\n", b" "))


def _is_input(raw: bytes, first: bool) -> bool:
    """A line is an input unless it decodes as UTF-8 and holds only whitespace."""
    if first and raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return bool(raw.decode("utf-8").strip())
    except UnicodeDecodeError:
        return True


FULL_OBJECT = b'{"id": "full", "q": "hello", "a": "hi", "t": "title", "cat": "c"}'


@SETTINGS
@given(lines=st.lists(jsonl_line, max_size=25), bom=st.booleans(), with_id=st.booleans(), at=st.integers(0, 25))
def test_jsonl_reader_accounts_for_every_line(lines, bom, with_id, at):
    # one object somewhere in the file holds every mapped key: a file where none of the
    # first objects does is a config error (tested with the field map), not a row problem
    lines = [*lines[:at], FULL_OBJECT, *lines[at:]]
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        raw = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines)
        (folder / "t.jsonl").write_bytes(raw)
        fields = {"user": "q", "assistant": "a", "title": "t", "meta": ["cat"], **({"id": "id"} if with_id else {})}
        events = read("jsonl", folder, path="t.jsonl", fields=fields)
        recs, rejects, skips = split(events)
        assert skips == []
        if raw.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"["):
            return  # read as one JSON array (elements as inputs): accounted for above
        expected = [n for n, line in enumerate(raw.split(b"\n"), start=1) if _is_input(line, n == 1)]
        got = sorted(int(r["locator"].rsplit(":", 1)[1]) for r in recs) + [int(r.locator.rsplit(":", 1)[1]) for r in rejects]
        assert sorted(got) == expected
        # a record keeps the customer's message as it was written
        for r in recs:
            n = int(r["locator"].rsplit(":", 1)[1])
            line = raw.split(b"\n")[n - 1]
            obj = json.loads(line.decode("utf-8-sig") if n == 1 else line.decode("utf-8"))
            users = [m["content"] for m in r["messages"] if m["role"] == "user"]
            if isinstance(obj.get("q"), str) and obj["q"].strip():
                assert users == [obj["q"]]


# -- CSV ------------------------------------------------------------------------------------

cell = st.text(max_size=25)


@SETTINGS
@given(rows=st.lists(st.tuples(cell, cell), max_size=15), bom=st.booleans(), crlf=st.booleans(),
       delimiter=st.sampled_from([",", ";", "\t", "|"]))
def test_csv_rows_come_back_exactly_with_their_line_numbers(rows, bom, crlf, delimiter):
    """Any cell text (quotes, delimiters, CR, LF, NUL, Unicode) written by a CSV writer comes
    back exactly, and each row's locator is the physical line where it starts."""
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        term = "\r\n" if crlf else "\n"
        buf = io.StringIO()
        # a writer quotes a field holding the characters of its line terminator; with "\n"
        # alone it leaves a bare "\r" unquoted, which no reader can tell from a line end:
        # quote every field then, as careful exporters do
        quoting = csv.QUOTE_MINIMAL if crlf else csv.QUOTE_ALL
        w = csv.writer(buf, delimiter=delimiter, lineterminator=term, quoting=quoting)
        w.writerow(["id", "q", "a"])
        starts, line = [], 2
        for i, (q, a) in enumerate(rows):
            one = io.StringIO()
            csv.writer(one, delimiter=delimiter, lineterminator=term, quoting=quoting).writerow([f"r{i}", q, a])
            text = one.getvalue()
            buf.write(text)
            starts.append(line)
            line += len(re.findall(r"\r\n|\r|\n", text))
        data = buf.getvalue().encode()
        (folder / "t.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
        events = read("csv", folder, path="t.csv", delimiter=delimiter, fields={"id": "id", "user": "q", "assistant": "a"})
        recs, rejects, _ = split(events)
        by_loc = {r["locator"]: r for r in recs} | {r.locator: r for r in rejects}
        assert len(by_loc) == len(events) == len(rows)
        for i, (q, a) in enumerate(rows):
            ev = by_loc[f"t.csv:{starts[i]}"]
            if not q.strip() and not a.strip():
                assert isinstance(ev, Reject) and ev.reason.startswith("no text")
                continue
            assert isinstance(ev, dict) and ev["id"] == f"csv:t:r{i}"
            want = [m for m in ({"role": "user", "content": q}, {"role": "assistant", "content": a}) if m["content"].strip()]
            assert ev["messages"] == want


@SETTINGS
@given(data=st.binary(max_size=300), delimiter=st.sampled_from([",", ";"]))
def test_csv_reader_survives_any_bytes(data, delimiter):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "t.csv").write_bytes(delimiter.join(["id", "q", "a"]).encode() + b"\n" + data)
        split(read("csv", folder, path="t.csv", delimiter=delimiter, fields={"id": "id", "user": "q", "assistant": "a"}))


# -- email ----------------------------------------------------------------------------------

header_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)
charset = st.sampled_from(["utf-8", "iso-8859-1", "windows-1252", "utf-16", "x-unknown", "us-ascii", "koi8-r", ""])
cte = st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "bogus", ""])


@st.composite
def message(draw, n: int, index: int):
    """One email: random headers (encoded words, odd charsets), a random part structure and
    body, then maybe truncated or with bytes flipped."""
    h = []
    if draw(st.booleans()) or index == 0:
        name = draw(header_text)
        addr = draw(st.sampled_from(["pat@customer.example", "help@support.example.com", "not-an-address", ""]))
        h.append(f"From: {name} <{addr}>")
    if draw(st.booleans()):
        h.append(f"Subject: {draw(header_text)}")
    if draw(st.booleans()):
        cs = draw(charset) or "utf-8"
        h.append(f"Subject: =?{cs}?{draw(st.sampled_from(['Q', 'B', 'X']))}?{draw(header_text)}?=")
    if draw(st.booleans()):
        h.append(f"Message-ID: <m{draw(st.integers(0, n))}@x>")
    if draw(st.booleans()):
        h.append(f"In-Reply-To: <m{draw(st.integers(0, n))}@x>")
    if draw(st.booleans()):
        h.append(f"Date: {draw(st.sampled_from(['Mon, 04 Mar 2024 10:00:00 +0000', 'yesterday', '', '31 Feb 2024 99:99']))}")
    body_text = draw(st.text(max_size=80))
    kind = draw(st.sampled_from(["plain", "html", "multipart", "nested", "binary"]))
    cs = draw(charset)
    enc = draw(cte)
    ct_params = f"; charset={cs}" if cs else ""
    if kind == "plain":
        h += ["MIME-Version: 1.0", f"Content-Type: text/plain{ct_params}"] + ([f"Content-Transfer-Encoding: {enc}"] if enc else [])
        body = body_text.encode("utf-8", "surrogatepass")
    elif kind == "html":
        h += ["MIME-Version: 1.0", f"Content-Type: text/html{ct_params}"]
        body = f"<html><body><p>{body_text}</p><script>x()</script></body></html>".encode("utf-8", "surrogatepass")
    elif kind in ("multipart", "nested"):
        b = draw(st.sampled_from(["B1", "==x==", ""]))
        h += ["MIME-Version: 1.0", f'Content-Type: multipart/{draw(st.sampled_from(["mixed", "alternative", "signed"]))}; boundary="{b}"']
        part = f"--{b}\r\nContent-Type: text/plain{ct_params}\r\n" + (f"Content-Transfer-Encoding: {enc}\r\n" if enc else "")
        inner = part + "\r\n" + body_text + "\r\n"
        if kind == "nested":
            inner = f"--{b}\r\nContent-Type: multipart/mixed; boundary=\"in\"\r\n\r\n--in\r\n" + part[len(f"--{b}\r\n"):] + "\r\n" + body_text + "\r\n--in--\r\n"
        close = f"--{b}--\r\n" if draw(st.booleans()) else ""
        body = (inner + close).encode("utf-8", "surrogatepass")
    else:
        body = draw(st.binary(max_size=80))
    raw = ("\r\n".join(h) + "\r\n\r\n").encode("utf-8", "surrogatepass") + body
    cut = draw(st.sampled_from([None, None, "truncate", "flip"]))
    if cut == "truncate" and raw:
        raw = raw[: draw(st.integers(0, len(raw)))]
    elif cut == "flip" and raw:
        pos = draw(st.integers(0, len(raw) - 1))
        raw = raw[:pos] + bytes([draw(st.integers(0, 255))]) + raw[pos + 1:]
    return raw


@st.composite
def mailbox(draw):
    n = draw(st.integers(1, 6))
    return [draw(message(n, i)) for i in range(n)]


@SETTINGS
@given(msgs=mailbox(), thread=st.booleans())
def test_email_reader_accounts_for_every_message(msgs, thread):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "mail").mkdir()
        for i, raw in enumerate(msgs):
            (folder / "mail" / f"{i:02d}.eml").write_bytes(raw)
        events = read("email", folder, path="mail", support_domains=["support.example.com"], thread=thread)
        recs, rejects, skips = split(events)
        seen: list[str] = [e.locator for e in rejects + skips]
        for r in recs:
            seen += json.loads(r["meta"])["files"]
        files = [f"mail/{i:02d}.eml" for i in range(len(msgs))]
        # every message file is in exactly one event (a thread names all its files)
        covered = set(seen)
        missing = [f for f in files if f not in covered]
        # only a thread skipped as a whole (no text in any of its messages) names just its
        # first message; a thread that became a record names all of them
        if missing:
            assert any(s.reason in ("no_text", "encrypted") for s in skips), (missing, events)
        assert len(seen) == len(set(seen)), seen


# -- Markdown ---------------------------------------------------------------------------------

word = st.sampled_from(["router", "reset", "light", "cable", "import", "export", "the", "a", "<b>", "`code`",
                        "**bold**", "_under_", "#", "-", "1.", ">", "|", ":::", "{", "}", "---", "[link](x)"])


@st.composite
def markdown(draw):
    """A document from random blocks; each paragraph starts with a marker word that must
    reach a chunk. Returns (text, markers)."""
    blocks, markers = [], []
    if draw(st.booleans()):
        fm = draw(st.sampled_from(["title: Guide", "title: [unclosed", "tags: [a, b]", ": :", "title: 'ok'"]))
        blocks.append(f"---\n{fm}\n---")
    for i in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["heading", "para", "para", "wrapped", "code", "list", "table", "quote", "mdx", "comment"]))
        if kind == "heading":
            blocks.append("#" * draw(st.integers(1, 6)) + " " + " ".join(draw(st.lists(word, min_size=1, max_size=4))))
        elif kind == "para":
            m = f"zq{i}w"
            markers.append(m)
            words = draw(st.lists(word, max_size=30))
            blocks.append(m + " " + " ".join(words))
        elif kind == "wrapped":  # prose whose second line starts with a word MDX also uses
            m, m2 = f"zq{i}w", f"zr{i}w"
            markers += [m, m2]
            lead = draw(st.sampled_from(["import", "export", "Import", "import the", "export your"]))
            blocks.append(f"{m} open the settings page and\n{lead} {m2} file you saved before.")
        elif kind == "code":
            fence = draw(st.sampled_from(["```", "~~~", "````"]))
            blocks.append(f"{fence}python\n" + "\n".join(draw(st.lists(st.text(max_size=20), max_size=4))) + f"\n{fence}")
        elif kind == "list":
            blocks.append("\n".join(f"- {' '.join(draw(st.lists(word, max_size=5)))}" for _ in range(draw(st.integers(1, 4)))))
        elif kind == "table":
            blocks.append("| a | b |\n|---|---|\n| " + " ".join(draw(st.lists(word, max_size=3))) + " | x |")
        elif kind == "quote":
            blocks.append("> " + " ".join(draw(st.lists(word, max_size=8))))
        elif kind == "mdx":
            blocks.append(draw(st.sampled_from(["import Tabs from '@theme/Tabs';", "<Tabs>\n<TabItem value=\"a\">", "</TabItem>\n</Tabs>",
                                                "export const x = 1;", "{/* a comment */}"])))
        else:
            blocks.append("<!-- " + " ".join(draw(st.lists(word, max_size=5))) + " -->")
    return "\n\n".join(blocks) + "\n", markers


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=markdown(), max_chars=st.sampled_from([200, 400, 2000]))
def test_markdown_documents_lose_no_paragraph(doc, max_chars):
    text, markers = doc
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "docs").mkdir()
        (folder / "docs" / "page.md").write_text(text)
        events = read("docs", folder, path="docs", max_chars=max_chars, overlap_chars=max_chars // 4, min_chars=50)
        recs, rejects, _ = split(events)
        if rejects:  # only a broken front matter rejects a page
            assert [r.reason.startswith("invalid YAML front matter") for r in rejects] == [True]
            return
        if not markers:
            return
        chunks = [r["text"] for r in recs]
        assert all(len(c) <= max_chars + 200 for c in chunks)  # the title is prefixed to the chunk text
        for m in markers:
            assert any(m in c for c in chunks), f"paragraph {m} lost:\n{text}"


# -- HTML -------------------------------------------------------------------------------------

inline_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20)


@st.composite
def html_doc(draw):
    """(html, markers that must survive, markers that must not). Paragraph markers sit in
    the main content; script/style/nav markers must never reach a record."""
    keep, drop = [], []
    counter = iter(range(10_000))

    def para():
        m = f"zk{next(counter)}w"
        keep.append(m)
        tag = draw(st.sampled_from(["p", "div", "li", "td", "blockquote", "pre", "span", "dd"]))
        text = html.escape(draw(inline_text))
        inner = f"{m} {text}"
        if draw(st.booleans()):
            inner = f"<em>{inner}</em> <a href='#x'>{html.escape(draw(inline_text))}</a>"
        if tag == "li":
            return f"<ul><li>{inner}</li></ul>"
        if tag == "td":
            return f"<table><tr><td>{inner}</td><td>x</td></tr></table>"
        return f"<{tag}>{inner}</{tag}>"

    def hidden():
        m = f"zx{next(counter)}w"
        drop.append(m)
        tag = draw(st.sampled_from(["script", "style", "nav", "footer", "noscript", "template"]))
        return f"<{tag}>{m}</{tag}>"

    def block(depth: int):
        kind = draw(st.sampled_from(["para", "para", "hidden", "heading", "section", "garbage"] if depth < 4 else ["para", "hidden"]))
        if kind == "para":
            return para()
        if kind == "hidden":
            return hidden()
        if kind == "heading":
            return f"<h{draw(st.integers(1, 4))}>{html.escape(draw(inline_text))}</h{draw(st.integers(1, 4))}>"
        if kind == "garbage":
            # junk that leaves the meaning of what follows alone (an unclosed comment or a
            # tag left open at "<div" would rightly swallow the next element)
            return draw(st.sampled_from(["</span>", "<p><b>unclosed", "&amp;&bogus;&#0;", "<br/>", "<img src=x>", "<div>",
                                         "</div></div>", "<!-- closed -->", "<![CDATA[x]]>", "<x-tag a=1>text</x-tag>"]))
        return "<section>" + "".join(block(depth + 1) for _ in range(draw(st.integers(0, 3)))) + "</section>"

    body = "".join(block(0) for _ in range(draw(st.integers(1, 8))))
    doc = f"<!doctype html><html><head><title>{html.escape(draw(inline_text))}</title><script>zs0w()</script></head>" \
          f"<body><nav>zn0w menu</nav><main>{body}</main><footer>zf0w</footer></body></html>"
    return doc, keep, drop + ["zs0w", "zn0w", "zf0w"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=html_doc())
def test_html_documents_keep_content_and_drop_scripts(doc):
    text, keep, drop = doc
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        (folder / "docs").mkdir()
        (folder / "docs" / "page.html").write_text(text)
        recs, rejects, _ = split(read("docs", folder, path="docs"))
        assert rejects == []
        out = " ".join(f"{r['title']} {r['text']}" for r in recs)
        for m in keep:
            assert m in out, f"{m} lost:\n{text}"
        for m in drop:
            assert m not in out, f"{m} leaked:\n{text}"


# -- the chunker ------------------------------------------------------------------------------

block_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(
    sections=st.lists(st.tuples(st.lists(st.sampled_from(["A", "B", "C"]), max_size=3), st.lists(block_text, max_size=6)),
                      max_size=6),
    max_chars=st.integers(60, 600),
    overlap_share=st.sampled_from([0.0, 0.1, 0.4]),
    min_chars=st.sampled_from([0, 50, 200]),
)
def test_chunks_fit_and_keep_every_word(sections, max_chars, overlap_share, min_chars):
    secs = [Section(list(path), None, list(blocks), len(path)) for path, blocks in sections]
    chunks = make_chunks(secs, max_chars, int(max_chars * overlap_share), min_chars)
    assert all(c.text.strip() for c in chunks)
    assert all(len(c.text) <= max_chars for c in chunks), [len(c.text) for c in chunks]
    joined = "\n".join(c.text for c in chunks)
    for _, blocks in sections:
        for b in blocks:
            for w in b.split():
                if len(w) <= max_chars // 2 - 10:  # a longer unbroken word may be cut to fit
                    assert w in joined, (w, max_chars)


def test_polars_reads_what_the_property_tests_store():
    """The storability check above is the one ingest relies on."""
    df = records_frame([])
    assert df.schema == pl.DataFrame(schema=df.schema).schema

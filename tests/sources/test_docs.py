"""Docs: React Native Markdown/MDX, PostgreSQL HTML, and PDF/DOCX made from them;
chunks along headings with overlap, titles as heading paths, locators with anchors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from curate.config import load_config
from curate.errors import ConfigError
from curate.sources.base import Skip, SourceState, get_source_class
from curate.sources.chunking import Section, chunk_section, make_chunks

FIX = Path(__file__).resolve().parents[1] / "fixtures/sources/docs"


def read(tmp_path: Path, **cfg):
    cls = get_source_class("docs")
    conf = cls.Config.model_validate({"type": "docs", **cfg}, context={"base_dir": FIX})
    events = list(cls(conf, FIX).read(SourceState(tmp_path / "s.json")))
    return events, [e for e in events if isinstance(e, dict)]


def prose_lines(text: str):
    """Lines outside fenced code blocks."""
    fence = False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
            continue
        if not fence:
            yield line


def test_react_native_markdown(tmp_path):
    events, recs = read(tmp_path, path="react-native")
    assert not [e for e in events if not isinstance(e, dict)]
    assert {json.loads(r["meta"])["file"] for r in recs} == {"flatlist.md", "button.md", "global-intersectionobserverentry.md"}
    for r in recs:
        assert r["kind"] == "doc" and len(r["messages"]) == 1 and r["messages"][0]["role"] == "user"
        for line in prose_lines(r["messages"][0]["content"]):
            assert not re.match(r"^\s*(import|export)\s", line), (r["locator"], line)
            assert not re.search(r"</?(Tabs|TabItem|CanaryAPIWarning)\b", line), (r["locator"], line)
            assert not line.startswith(":::"), (r["locator"], line)
    flat = [r for r in recs if r["locator"].startswith("flatlist.md")]
    titles = [r["title"] for r in flat]
    assert titles[0] == "FlatList"  # the front matter title; the intro before the first heading
    assert "FlatList > Example" in titles
    assert "FlatList > Reference > Props > getItemLayout" in titles
    # short sibling sections are merged under their parent, each heading a line of the text
    render = next(r for r in flat if "\n\nRequired renderItem\n\n" in r["messages"][0]["content"])
    assert render["title"] == "FlatList > Reference > Props" and render["locator"] == "flatlist.md#virtualizedlist-props"
    assert render["messages"][0]["content"].startswith("VirtualizedList Props\n\nInherits VirtualizedList Props.")
    assert min(len(r["messages"][0]["content"]) for r in flat) >= 200  # min_chars
    example = next(r for r in flat if r["title"] == "FlatList > Example")
    assert example["locator"] == "flatlist.md#example"
    # import lines inside code blocks are code, and stay
    assert "import {View, FlatList, StyleSheet, Text, StatusBar} from 'react-native';" in example["text"]
    meta = json.loads(flat[0]["meta"])
    assert meta["front_matter"] == {"id": "flatlist", "title": "FlatList"}
    assert meta["heading_path"] == ["FlatList"] and meta["chunk"] == 0 and meta["format"] == "markdown"
    # the partial imported by the page is inlined where its tag stood (admonition → label)
    entry = next(r for r in recs if r["locator"].startswith("global-intersectionobserverentry.md"))
    assert entry["title"] == "IntersectionObserverEntry 🧪"
    assert "Tip: Canary 🧪" in entry["text"] and "This API is currently only available in" in entry["text"]


def test_chunk_sizes_and_overlap(tmp_path):
    _, recs = read(tmp_path, path="react-native/flatlist.md", max_chars=800, overlap_chars=120, min_chars=0)
    for r in recs:
        assert len(r["messages"][0]["content"]) <= 800
    parts = {}
    for r in recs:
        m = json.loads(r["meta"])
        parts.setdefault(r["title"], []).append((m["section_part"], r["messages"][0]["content"]))
    split = [v for v in parts.values() if len(v) > 1]
    assert split, "a long section is cut into several chunks"
    checked = 0
    for pieces in split:
        for (_, a), (_, b) in zip(pieces, pieces[1:]):
            if not a.rstrip().endswith("```") and not b.startswith("```"):
                assert b.split("\n")[0] in a, "the next chunk starts with the end of the previous one"
                checked += 1
    assert checked >= 3
    # code fences are balanced in every chunk
    assert all(r["messages"][0]["content"].count("```") % 2 == 0 for r in recs)


def test_chunker_units():
    sec = Section(["Doc", "Part"], "part", ["a" * 50, "b" * 50, "c" * 50, "```js\n" + "x = 1\n" * 40 + "```"])
    pieces = chunk_section(sec, 120, 55)
    assert all(len(p) <= 120 for p in pieces)
    assert pieces[1].startswith("a" * 50) or pieces[1].startswith("b" * 50)
    code = [p for p in pieces if p.startswith("```")]
    assert code and all(p.startswith("```js\n") and p.endswith("```") for p in code)
    # a short parent section is folded into its first subsection
    chunks = make_chunks([Section(["Doc"], None, ["intro"]), Section(["Doc", "Install"], "install", ["x" * 300])], 2000, 100, 200)
    assert len(chunks) == 1 and chunks[0].title == "Doc" and chunks[0].text.startswith("intro\n\nInstall\n\n")


def test_postgresql_html(tmp_path):
    events, recs = read(tmp_path, path="postgresql")
    skips = [(e.locator, e.reason) for e in events if isinstance(e, Skip)]
    assert skips == [("brin.html", "empty_document")]  # a chapter page: only a table of contents
    lex = [r for r in recs if r["locator"].startswith("sql-syntax-lexical.html")]
    titles = [r["title"] for r in lex]
    assert titles[0] == "4.1. Lexical Structure"
    assert "4.1. Lexical Structure > 4.1.2. Constants > 4.1.2.1. String Constants" in titles
    assert any(r["locator"] == "sql-syntax-lexical.html#SQL-SYNTAX-STRINGS" for r in lex)
    for r in recs:
        text = r["messages"][0]["content"]
        for boiler in ("Prev", "Next", "Home", "Up", "Submit correction", "Chapter 4. SQL Syntax"):
            assert not any(line.strip() == boiler for line in text.split("\n")), (r["locator"], boiler)
        assert "Table of Contents" not in text
    select = next(r for r in recs if r["locator"].startswith("tutorial-select.html"))
    assert "```\nSELECT * FROM weather;\n```" in select["text"].replace("\r", "") or "SELECT * FROM weather;" in select["text"]
    # a warning box's heading is a label, not a section of its own
    assert not any(t.endswith("> Warning") or t.endswith("> Note") or t.endswith("> Tip") for t in titles)


def test_html_trafilatura_extractor(tmp_path):
    events, recs = read(tmp_path, path="postgresql/tutorial-select.html", extractor="trafilatura")
    assert recs and all(r["title"].startswith("2.5. Querying a Table") for r in recs)
    assert "Prev" not in recs[0]["text"].split()


def test_docx_and_pdf(tmp_path):
    events, recs = read(tmp_path, path="generated")
    assert not [e for e in events if not isinstance(e, dict)]
    by_fmt: dict[str, list[dict]] = {}
    for r in recs:
        by_fmt.setdefault(json.loads(r["meta"])["format"], []).append(r)
    docx = by_fmt["docx"]
    assert docx[0]["title"] == "FlatList" and docx[0]["locator"] == "flatlist.docx"
    ex = next(r for r in docx if r["title"] == "FlatList > Example")
    assert ex["locator"] == "flatlist.docx#example" and "```" in ex["text"]
    assert any("- Fully cross-platform." in r["text"] for r in docx)
    pdfs = [r for r in by_fmt["pdf"] if r["locator"].startswith("sql-syntax-lexical.pdf")]
    assert pdfs[0]["title"] == "4.1. Lexical Structure" and pdfs[0]["locator"] == "sql-syntax-lexical.pdf#page=1"
    assert any(r["title"] == "4.1. Lexical Structure > 4.1.2. Constants > 4.1.2.1. String Constants" for r in pdfs)
    flat_pdf = [r for r in by_fmt["pdf"] if r["locator"].startswith("flatlist.pdf")]
    assert any(r["title"] == "FlatList > Example" for r in flat_pdf)
    assert all(re.fullmatch(r"flatlist\.pdf#page=\d+", r["locator"]) for r in flat_pdf)


def test_broken_documents_are_rejected(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "bad.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf")
    (broken / "bad.docx").write_bytes(b"PK\x03\x04 not a zip")
    (broken / "bad-front.md").write_text("---\ntitle: [unclosed\n---\n# Hi\n\ntext\n")
    (broken / "latin1.md").write_bytes("# Caf\xe9\n\ntext\n".encode("latin-1"))
    (broken / "empty.md").write_text("---\ntitle: Nothing\n---\nimport X from 'y';\n\n<X />\n")
    cls = get_source_class("docs")
    conf = cls.Config.model_validate({"type": "docs", "path": "broken"}, context={"base_dir": tmp_path})
    events = list(cls(conf, tmp_path).read(SourceState(tmp_path / "s.json")))
    got = {e.locator: (type(e).__name__, e.reason) for e in events}
    assert got == {
        "bad-front.md": ("Reject", "invalid YAML front matter at line 2"),
        "bad.docx": ("Reject", "not a readable DOCX file (no ZIP directory)"),
        "bad.pdf": ("Reject", got["bad.pdf"][1]),
        "empty.md": ("Skip", "empty_document"),
        "latin1.md": ("Reject", "invalid utf-8 at byte 5"),
    }
    assert got["bad.pdf"][1].startswith("not a readable PDF")
    # the Markdown file that is not UTF-8 is also one warning naming the encoding to set
    src = cls(conf, tmp_path)
    list(src.read(SourceState(tmp_path / "s.json")))
    assert src.warnings == ["1 of 3 Markdown files are not valid utf-8 and were rejected; "
                            "they look like cp1252: set `encoding: cp1252`"]


def test_base_url_and_config_errors(tmp_path):
    _, recs = read(tmp_path, path="react-native/button.md", base_url="https://reactnative.dev/docs/")
    urls = [json.loads(r["meta"])["url"] for r in recs]
    assert urls[0] == "https://reactnative.dev/docs/button" and "https://reactnative.dev/docs/button#example" in urls
    p = tmp_path / "curate.yaml"
    p.write_text(json.dumps({"name": "d", "sources": [{"type": "docs", "path": "missing-folder"}]}))
    with pytest.raises(ConfigError, match="file not found: missing-folder"):
        load_config(p)
    (tmp_path / "a.md").write_text("# A\n")
    p.write_text(json.dumps({"name": "d", "sources": [{"type": "docs", "path": "a.md", "max_chars": 400, "overlap_chars": 300}]}))
    with pytest.raises(ConfigError, match="overlap_chars must be less than half of max_chars"):
        load_config(p)


def test_a_reference_page_keeps_its_title_and_merges_its_short_sections(tmp_path):
    # DocBook's reference pages give the command name as an h2, like "Synopsis" and
    # "Parameters": the page's title must head every path, not be replaced by them
    _, recs = read(tmp_path, path="postgresql/sql-droptable.html", min_chars=0)
    assert [r["title"] for r in recs] == ["DROP TABLE"] + [f"DROP TABLE > {h}" for h in (
        "Synopsis", "Description", "Parameters", "Examples", "Compatibility", "See Also")]
    assert min(len(r["messages"][0]["content"]) for r in recs) < 30  # "See Also" is one line
    # short sections merge with their neighbours under the same parent, up to max_chars
    _, recs = read(tmp_path, path="postgresql/sql-droptable.html", base_url="https://www.postgresql.org/docs/15/")
    assert [(r["title"], r["locator"]) for r in recs] == [
        ("DROP TABLE", "postgresql/sql-droptable.html#SQL-DROPTABLE"),  # its intro, Synopsis and Description
        ("DROP TABLE > Parameters", "postgresql/sql-droptable.html#id-1.9.3.134.6"),
        ("DROP TABLE", "postgresql/sql-droptable.html#id-1.9.3.134.7"),  # Examples, Compatibility, See Also
    ]
    assert all(200 <= len(r["messages"][0]["content"]) <= 2000 for r in recs)
    tail = recs[2]["messages"][0]["content"]
    assert tail.startswith("Examples\n\n") and "\n\nCompatibility\n\n" in tail and "\n\nSee Also\n\n" in tail
    # the published page is the .html file: the link keeps its extension
    assert json.loads(recs[0]["meta"])["url"] == "https://www.postgresql.org/docs/15/sql-droptable.html#SQL-DROPTABLE"


def test_url_extension(tmp_path):
    def urls(path, **cfg):
        _, recs = read(tmp_path, path=path, base_url="https://example.org/docs", **cfg)
        return json.loads(recs[0]["meta"])["url"]

    assert urls("react-native/button.md") == "https://example.org/docs/button"
    assert urls("react-native/button.md", url_extension="keep") == "https://example.org/docs/button.md"
    assert urls("postgresql/tutorial-select.html", url_extension="strip").startswith("https://example.org/docs/tutorial-select#")
    # a page found by a glob links by its path below the glob's folder
    assert urls("react-native/*.md").startswith("https://example.org/docs/button")


def make_versions(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    for version in ("version-0.84", "version-0.85"):
        (site / version / "guides").mkdir(parents=True)
        for name in ("button.md", "_canary-channel-api-warning.mdx", "global-intersectionobserverentry.md"):
            (site / version / name).write_bytes((FIX / "react-native" / name).read_bytes())
        (site / version / "guides/flatlist.md").write_bytes((FIX / "react-native/flatlist.md").read_bytes())
    return site


def files_read(tmp_path: Path, base: Path, **cfg) -> list[str]:
    cls = get_source_class("docs")
    conf = cls.Config.model_validate({"type": "docs", **cfg}, context={"base_dir": base})
    events = list(cls(conf, base).read(SourceState(tmp_path / "s.json")))
    assert not [e for e in events if not isinstance(e, dict)]
    return sorted({json.loads(e["meta"])["file"] for e in events})


def test_include_and_path_globs(tmp_path):
    site = make_versions(tmp_path)
    # **/ matches no folder as well as several, so a version's top-level pages are read
    assert files_read(tmp_path, tmp_path, path="site", include=["version-0.85/**/*.md"]) == [
        "version-0.85/button.md", "version-0.85/global-intersectionobserverentry.md", "version-0.85/guides/flatlist.md"]
    # a pattern without a slash matches at any depth; a * stays within a name
    assert files_read(tmp_path, tmp_path, path="site", include=["flatlist.md"]) == [
        "version-0.84/guides/flatlist.md", "version-0.85/guides/flatlist.md"]
    assert files_read(tmp_path, tmp_path, path="site", include=["version-0.85/*.md"]) == [
        "version-0.85/button.md", "version-0.85/global-intersectionobserverentry.md"]
    # a glob in path reads what it matches, partials left out (exclude), with {a,b} alternatives
    assert files_read(tmp_path, tmp_path, path="site/version-0.85/*.{md,mdx}") == [
        "site/version-0.85/button.md", "site/version-0.85/global-intersectionobserverentry.md"]
    assert files_read(tmp_path, site, path="version-*/**/flatlist.md") == [
        "version-0.84/guides/flatlist.md", "version-0.85/guides/flatlist.md"]
    p = tmp_path / "curate.yaml"
    p.write_text(json.dumps({"name": "d", "sources": [{"type": "docs", "path": "site/version-9.*/*.md"}]}))
    with pytest.raises(ConfigError, match=r"sources\[0\]\.path: no file matches the glob site/version-9\.\*/\*\.md$"):
        load_config(p)

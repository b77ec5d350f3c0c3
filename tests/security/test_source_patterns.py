"""Source parsers take time in proportion to their input, whatever it holds: Markdown pages
that are one 200 kB line of backticks, brackets, unclosed comments or tag attributes, and
mail subjects made of spaces. Before the inline scanners of curate/sources/docs/inline.py
and the rewritten patterns, 20 kB of backticks took 99 s and 20 kB of spaces in a tag 14 s;
at 200 kB each page would take hours. The bound below is generous for a loaded machine."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hostile_sources import GOOD_PAGE, read_events, split

from curate.sources.email.threads import thread_subject

N = 200_000
PAGES = {
    "backticks": "`" * N,
    "backticks-words": "`a" * (N // 2),
    "tag-spaces": "<a" + " " * N + "x",
    "tag-tabs": "<Tabs " + "\t" * N,
    "brackets": "[" * N,
    "images": "![" * (N // 2),
    "link-targets": "[a](" * (N // 4),
    "html-comments": "<!--" * (N // 4),
    "jsx-comments": "{/*" * (N // 3),
    "heading-hashes": "# " + "#" * N + "x",
    "heading-id": "# a" + " " * N + "x {#id}",
    "import": "import a" + " " * N + "x",
    "import-from": "import {\n  a,\n} from 'x'" + " " * N + "y",
    "fence": "- " + "~" * N,
    "emphasis": "# " + "_a" * (N // 2),
}


def test_hostile_markdown_pages_read_in_linear_time(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.md").write_text(GOOD_PAGE)
    for name, body in PAGES.items():
        (docs / f"{name}.md").write_text(f"# {name}\n\n{body}\n")
    t0 = time.perf_counter()
    _, rejects, skips = split(events := read_events("docs", tmp_path, tmp_path, path="docs"))
    elapsed = time.perf_counter() - t0
    assert not rejects
    # a page that is only headings (once its MDX statements are gone) is an empty document
    assert {s.locator for s in skips} == {"heading-hashes.md", "heading-id.md", "import-from.md", "emphasis.md"}
    found = {e.locator if not isinstance(e, dict) else e["locator"].split("#")[0] for e in events}
    assert found == {"good.md", *(f"{n}.md" for n in PAGES)}
    assert elapsed < 30, f"{elapsed:.1f} s for {len(PAGES)} pages of {N:,} characters"


def test_inline_markdown_still_reads_as_before(tmp_path):
    """The linear scanners give what the patterns gave on ordinary text."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "p.mdx").write_text(
        "{/* a JSX comment */}\n# Setup {#install}\n\nSee [the guide](https://x.org/a_(b)) and ![logo](l.png) "
        "and `[not](a link)` and ``a ` b``.<!-- hidden -->\n\n## Closing ##\n\nText <Tag prop={1} /> end.\n"
    )
    recs, _, _ = split(read_events("docs", tmp_path, tmp_path, path="docs", min_chars=0))
    by_anchor = {r["locator"]: r for r in recs}
    assert set(by_anchor) == {"p.mdx#install", "p.mdx#closing"}
    # the same as before the scanners (checked against the earlier code)
    assert by_anchor["p.mdx#install"]["messages"][0]["content"] == "See the guide) and  and `[not](a link)` and ``a ` b``."
    assert by_anchor["p.mdx#closing"]["title"] == "Setup > Closing"
    assert by_anchor["p.mdx#closing"]["messages"][0]["content"] == "Text  end."


def test_mail_subject_prefixes_in_linear_time():
    t0 = time.perf_counter()
    assert thread_subject("Re" + " " * N + ": x") == "x"
    assert thread_subject("Re" + " " * N + "x") == "Re" + " " * N + "x"
    assert thread_subject("RE: Fw[2]: AW : Where is my order?") == "Where is my order?"
    assert time.perf_counter() - t0 < 5

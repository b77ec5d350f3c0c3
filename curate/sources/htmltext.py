"""HTML fragments (an email's HTML-only part, a ticket comment's HTML body) to plain text,
with a real HTML parser (selectolax): block elements become line breaks, quoted replies
(``<blockquote>``, Gmail's and Thunderbird's quote containers), scripts and styles go."""

from __future__ import annotations

import re

_BLOCKS = "br,p,div,li,tr,h1,h2,h3,h4,h5,h6,pre,table,ul,ol,section,article,hr"
_DROP = "script,style,head,title,template,noscript"
_QUOTES = "blockquote,div.gmail_quote,div.moz-cite-prefix,div.yahoo_quoted,#divRplyFwdMsg,#appendonsend"
_BLANKS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\u00a0]+")


def html_to_text(html: str, drop_quotes: bool = True) -> str:
    """Visible text of an HTML fragment, one block per line."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css(_DROP):
        node.decompose()
    if drop_quotes:
        for node in tree.css(_QUOTES):
            node.decompose()
    for node in tree.css("li"):
        node.insert_before("\n- ")
    for node in tree.css(_BLOCKS):
        if node.tag != "li":
            node.insert_before("\n")
        node.insert_after("\n")
    root = tree.body or tree.root
    if root is None:
        return ""
    text = root.text(separator="")
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines)).strip()

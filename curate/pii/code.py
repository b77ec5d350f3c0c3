"""Where a text is code, not prose: fenced and inline code in Markdown, ``<code>`` and
``<pre>`` elements, stack-trace lines, lines of C-like code and patches, and identifiers (``useState``, ``pg_dump``,
``os.path.join``, ``Foo::bar()``). NER reads no names there (it took ``FlatList``,
``Click`` and ``Traceback`` for people) and the name rules are not applied; the pattern
recognizers (secrets, e-mail addresses, IPs, cards, ...) still read code as it is."""

from __future__ import annotations

import functools

import regex as re

from curate.pii.recognizers.base import WORD_MAX

#: fenced blocks run to their closing fence (or the end of the text)
_FENCE = re.compile(r"(?m)^[ \t]{0,3}+(?P<f>`{3,}+|~{3,}+)[^\n]*+\n(?:(?!(?P=f))[^\n]*+\n)*+(?:[ \t]{0,3}+(?P=f)[^\n]*+|\Z)?")
_INLINE = re.compile(r"(?<!`)`(?!`)[^`\n]{1,400}+`(?!`)")
_ELEMENT = re.compile(r"(?is)<(?P<t>code|pre|kbd|samp|tt)\b[^>]{0,200}+>.{0,20000}?</(?P=t)\s*+>")
#: a line of a stack trace or a log: "  at foo.bar(File.java:12)", 'File "x.py", line 3',
#: "Traceback (most recent call last):", "    raise ValueError(...)"
_TRACE = re.compile(
    r"(?m)^[ \t]*+(?:at[ \t]++[\w$.<>/\\:\[\]-]{1,300}+[ \t]*+\([^\n]{0,300}+\)|at[ \t]++[\w$.<>]{1,200}+\.[\w$<>]{1,100}+"
    r"|File[ \t]++\"[^\"\n]{1,400}+\",[ \t]++line[ \t]++\d++[^\n]*+|Traceback[ \t]++\(most[ \t]++recent[ \t]++call[ \t]++last\):"
    r"|Caused[ \t]++by:[^\n]*+|(?:raise|throw|import|from|def|class|return|const|let|var|function)[ \t]++[\w.$]++[^\n]*+)[ \t]*+$"
)
#: a line of C-like code or of a patch: ending in ";", "{", "}" (not a "}}" template slot)
#: or "*/", a preprocessor line, a diff header or hunk line
_CODE_LINE = re.compile(
    r"(?m)^(?:[^\n]{0,400}?(?:;|\{|(?<!\})\}(?!\})|\*/)[ \t]*+|[ \t]*+\#[ \t]*+(?:include|define|if|ifdef|ifndef|endif|else|pragma)\b[^\n]*+"
    r"|@@[ \t][^\n]*+|(?:\+\+\+|---)[ \t]++[ab]/[^\n]*+|diff[ \t]++--git[^\n]*+)$"
)
#: one identifier: snake_case, dotted.names (a letter on both sides of the dot), camelCase
#: (a lower-case start, or three lower-case letters before an inner capital: "FlatList", not
#: "McDonald" or "DeShawn"), Foo::bar, call() and $vars
_W = rf"[\p{{L}}\p{{N}}_$]{{1,{WORD_MAX}}}"
_IDENT = re.compile(
    rf"(?<![\p{{L}}\p{{N}}_$.@/\\-])(?:"
    rf"[\p{{L}}_$][\p{{L}}\p{{N}}]{{0,{WORD_MAX}}}_[\p{{L}}\p{{N}}_]{{1,{WORD_MAX}}}"  # snake_case
    rf"|\p{{Ll}}{{1,{WORD_MAX}}}\p{{Lu}}[\p{{L}}\p{{N}}]{{0,{WORD_MAX}}}"  # camelCase
    rf"|\p{{Lu}}\p{{Ll}}{{3,{WORD_MAX}}}\p{{Lu}}[\p{{L}}\p{{N}}]{{0,{WORD_MAX}}}"  # PascalCase with an inner capital
    rf"|{_W}(?:(?:\.|::|->){_W}){{1,8}}\(\)?"  # dotted.call()
    rf"|{_W}(?:::|->){_W}(?:(?:::|->){_W}){{0,8}}"  # Foo::bar
    rf"|\p{{L}}{_W}\.\p{{Ll}}{_W}(?:\.{_W}){{0,8}}"  # os.path.join (not "Mr. Smith", not an e-mail's domain)
    rf"|{_W}\(\)"  # call()
    rf")(?![\p{{L}}\p{{N}}_$@])"
)


def code_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Sorted, merged ``(start, end)`` spans of ``text`` that are code. The redact stage
    asks for a text's spans up to four times (language, NER view, propagation, code
    words): the last texts' answers are kept."""
    return _code_spans(text)


@functools.lru_cache(maxsize=1024)
def _code_spans(text: str) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    if "```" in text or "~~~" in text:
        spans += [m.span() for m in _FENCE.finditer(text)]
    if "`" in text:
        spans += [m.span() for m in _INLINE.finditer(text)]
    if "<" in text:
        spans += [m.span() for m in _ELEMENT.finditer(text)]
    spans += [m.span() for m in _TRACE.finditer(text)]
    if ";" in text or "{" in text or "}" in text or "#" in text or "@@" in text or "---" in text or "+++" in text:
        spans += [m.span() for m in _CODE_LINE.finditer(text)]
    spans += [m.span() for m in _IDENT.finditer(text)]
    if not spans:
        return ()
    spans.sort()
    out = [list(spans[0])]
    for s, e in spans[1:]:
        if s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)


def blank(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with ``spans`` replaced by blanks (same length: offsets stay valid)."""
    if not spans:
        return text
    parts, pos = [], 0
    for s, e in spans:
        parts.append(text[pos:s])
        parts.append("".join("\n" if c == "\n" else " " for c in text[s:e]))
        pos = e
    parts.append(text[pos:])
    return "".join(parts)

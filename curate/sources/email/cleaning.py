"""A message's own words: quoted replies, forwarded header blocks and signatures removed."""

from __future__ import annotations

import re

_ATTRIBUTION = re.compile(r"(wrote|writes|schrieb|a écrit|escribió|scrisse|skrev|napisał)\s*:\s*$", re.IGNORECASE)
_OUTLOOK = re.compile(
    r"^\s*(-{3,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{3,}|_{20,})\s*$",
    re.IGNORECASE,
)
_FORWARD_MARK = re.compile(r"^\s*-{3,}\s*(Forwarded (message|by)|Begin forwarded message|Weitergeleitete Nachricht)", re.IGNORECASE)
_HEADER_IN_BODY = re.compile(r"^\s*\*?(From|Sent|To|Cc|Date|Subject|Von|Gesendet|An|Betreff|De|Envoyé|À|Objet)\s*:\*?", re.IGNORECASE)
_SIG_DEFAULTS = [
    re.compile(r"^--\s?$"),
    re.compile(r"^\s*Sent from my \w+", re.IGNORECASE),
    re.compile(r"^\s*(Get Outlook for|Sent from Mail for Windows|Von meinem \w+ gesendet)", re.IGNORECASE),
]
_LIST_FOOTER = re.compile(r"^_{10,}\s*$")


def strip_quotes(text: str, _depth: int = 0) -> str:
    """Remove quoted earlier messages. A message that is nothing but a forward keeps the
    forwarded text (without the forwarded headers)."""
    lines = _drop_forward_marks(text.splitlines())
    found = _quote_start(lines)
    if found is not None:
        start, body = found
        own = "\n".join(lines[:start])
        if _has_text(own):
            lines = lines[:start]
        elif _depth < 3:  # a bare forward: the forwarded message is the content
            return strip_quotes("\n".join(lines[body:]), _depth + 1)
        else:
            lines = lines[body:]
    quoted = [ln.lstrip().startswith(">") for ln in lines]
    for i in range(1, len(lines) - 1):
        # a quoted line wrapped by a mail client leaves a short unquoted stub between quotes
        if not quoted[i] and quoted[i - 1] and quoted[i + 1] and lines[i].strip() and len(lines[i].split()) <= 4:
            quoted[i] = True
    out: list[str] = []
    for i, line in enumerate(lines):
        if quoted[i]:
            # the attribution line ("On Mon, X wrote:") just before a quote goes too
            while out and not out[-1].strip():
                out.pop()
            if out and _ATTRIBUTION.search(out[-1]):
                out.pop()
                if out and out[-1].strip() and len(out[-1]) < 80 and _looks_like_attribution_start(out[-1]):
                    out.pop()
            continue
        out.append(line)
    return "\n".join(out)


def _drop_forward_marks(lines: list[str]) -> list[str]:
    """Remove "--- Forwarded by ... ---" lines (and the rest of such a line when wrapped)."""
    out: list[str] = []
    wrapped = False
    for line in lines:
        if _FORWARD_MARK.match(line):
            wrapped = not line.rstrip().endswith("---")
            continue
        if wrapped:
            wrapped = False
            if line.rstrip().endswith("---"):
                continue
        out.append(line)
    return out


def _quote_start(lines: list[str]) -> tuple[int, int] | None:
    """Where an inlined earlier message starts (Outlook's "Original Message", Lotus Notes'
    "Name / date / To: / cc: / Subject:" block, a bare "From: ... Sent: ..." block) and
    where its body starts."""
    for i, line in enumerate(lines):
        if _OUTLOOK.match(line) and (line.strip().startswith("-") or _next_is_header(lines, i)):
            return i, _skip_headers(lines, i + 1)
        if _HEADER_IN_BODY.match(line) and _header_cluster(lines, i):
            return _attribution_above(lines, i), _skip_headers(lines, i)
    return None


def _header_cluster(lines: list[str], i: int) -> bool:
    names = set()
    for ln in lines[i: i + 7]:
        m = _HEADER_IN_BODY.match(ln)
        if m:
            names.add(m.group(1).lower())
    return len(names) >= 3 or (len(names) >= 2 and bool(names & {"subject", "betreff", "objet", "sent", "gesendet", "envoyé"}))


def _attribution_above(lines: list[str], i: int) -> int:
    k = i
    while k > 0 and not lines[k - 1].strip():
        k -= 1
    top = k
    for _ in range(2):
        if top > 0 and lines[top - 1].strip() and len(lines[top - 1].strip()) < 70:
            top -= 1
        else:
            break
    block = " ".join(lines[top:k])
    if top < k and (_DATEISH.search(block) or "@" in block):
        return top
    return min(i, k)


_DATEISH = re.compile(r"\d{1,2}[/:.]\d{2}")


def _looks_like_attribution_start(line: str) -> bool:
    return bool(re.match(r"^\s*(On|Am|Le|El|Il|Den)\b", line))


def _next_is_header(lines: list[str], i: int) -> bool:
    following = [ln for ln in lines[i + 1: i + 4] if ln.strip()]
    return bool(following) and bool(_HEADER_IN_BODY.match(following[0]))


def _skip_headers(lines: list[str], i: int) -> int:
    in_header = False
    while i < len(lines):
        ln = lines[i]
        if not ln.strip():
            if in_header and i + 1 < len(lines) and _HEADER_IN_BODY.match(lines[i + 1]):
                i += 1
                continue
            if in_header:
                return i + 1
            i += 1
            continue
        if _HEADER_IN_BODY.match(ln):
            in_header = True
        elif in_header and (ln[:1] in (" ", "\t") or any(_HEADER_IN_BODY.match(x) for x in lines[i + 1: i + 3])):
            pass  # a folded header line
        else:
            return i
        i += 1
    return i


def _has_text(s: str) -> bool:
    return any(c.isalnum() for c in s)


def strip_signature(text: str, extra: list[re.Pattern[str]]) -> str:
    """Cut the text at the first line that starts a signature or a mailing-list footer."""
    lines = text.splitlines()
    patterns = _SIG_DEFAULTS + extra
    for i, line in enumerate(lines):
        if any(p.search(line) for p in patterns):
            return "\n".join(lines[:i])
        if _LIST_FOOTER.match(line) and any("mailing list" in ln.lower() or "list-info" in ln.lower() or "listinfo" in ln.lower() for ln in lines[i + 1: i + 5]):
            return "\n".join(lines[:i])
    return text


def clean_body(text: str, quotes: bool, signatures: bool, extra: list[re.Pattern[str] | str]) -> str:
    """A message's own words: quotes and signature removed, blank runs collapsed."""
    extra = [re.compile(p) if isinstance(p, str) else p for p in extra]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if quotes:
        text = strip_quotes(text)
    if signatures:
        text = strip_signature(text, extra)
    lines = [ln.rstrip() for ln in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

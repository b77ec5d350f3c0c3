"""IP addresses (v4 and v6) that are not version numbers, and usernames given as such.

Presidio's IP recognizer takes "version 1.2.3.4" for an address. Loopback, unspecified and
broadcast addresses and netmasks identify no one and are kept."""

from __future__ import annotations

import ipaddress

import regex as re

from curate.pii.recognizers.base import RegexRecognizer, Rule, words_regex

VERSION_WORDS = words_regex(
    "version ver v build release firmware fw patch update revision rev kernel driver bios os sdk api".split()
)
_NOT_PERSONAL_V4 = ("0.0.0.0", "127.", "255.255.", "255.0.0.0", "224.0.0.")


def ip_is_personal(value: str) -> bool:
    v = value.split("/")[0].split("%")[0]
    try:
        ip = ipaddress.ip_address(v)
    except ValueError:
        return False
    if ip.is_loopback or ip.is_unspecified or ip.is_multicast:
        return False
    if ip.version == 4 and v.startswith(_NOT_PERSONAL_V4):
        return False
    return True


def _v4(value: str, text: str, start: int, end: int) -> float | None:
    if not ip_is_personal(value):
        return None
    if VERSION_WORDS.search(text, max(0, start - 12), start) or text[max(0, start - 1):start] in ("v", "V"):
        return None
    return 0.0


def _v6(value: str, text: str, start: int, end: int) -> float | None:
    if len(value) < 6 or value.count(":") < 2 or not any(c.isalpha() for c in value) and "::" not in value:
        return None  # 10:32:45 is a time
    if re.fullmatch(r"[\d:]+", value) and value.count(":") < 3:
        return None
    return 0.0 if ip_is_personal(value) else None


IP_RULES = [
    Rule(
        "IP_ADDRESS",
        re.compile(r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:/\d{1,2})?(?![\w]|\.\d)"),
        0.8, validate=_v4, name="ipv4",
    ),
    Rule(
        "IP_ADDRESS",
        re.compile(r"(?<![\w:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:/\d{1,3})?(?![\w:])"),
        0.8, validate=_v6, name="ipv6",
    ),
]

_NOT_USERNAMES = frozenset(
    """is was and or the a an not name names field is: incorrect wrong invalid locked blocked disabled
    expired missing required taken already same does doesn't isn't cannot can't will would should
    please thanks when with without for from to in on at by of it this that my your our their
    changed reset forgotten forgot of username usernames user users login userid user_id user_name handle
    nickname account password placeholder example""".split()
)


def _hyphenated_words(v: str) -> bool:
    from curate.pii.plausible import common_english

    parts = v.split("-")
    return len(parts) > 1 and all(p.isalpha() and p.islower() and (len(p) < 3 or common_english(p)) for p in parts)


def _username(value: str, text: str, start: int, end: int) -> float | None:
    v = value.lstrip("@")
    if v.lower() in _NOT_USERNAMES or len(v) < 3:
        return None
    nxt = text[end:end + 2]
    if nxt[:1].isalnum() or (nxt[:1] in "._-" and nxt[1:2].isalnum()):
        return None  # cut off: the value runs on past the longest username read
    sep = text[max(0, start - 3):start]
    if ":" not in sep and "=" not in sep and not value.startswith("@") and _hyphenated_words(v):
        return None  # "to handle bottom-up data", "touch-based input"
    if any(c.isdigit() for c in v) or any(c in "._-" for c in v) or ":" in sep or "=" in sep or value.startswith("@"):
        return 0.0
    return -0.4  # a plain word after a label ("login page"): below the threshold


# the blanks between label, "is" and value are read once (possessive): a label followed by
# a long run of blanks took time quadratic in the run
USERNAME_RULES = [
    Rule(
        "USERNAME",
        re.compile(
            r"(?<![\w])(?i:user[ _\-]?name|user[ _\-]?id|userid|login(?:[ _\-]?(?:name|id))?|log-in|handle|"
            r"account[ _\-]?name|screen[ _\-]?name|gamertag|nickname|nick|github|twitter|instagram|telegram|"
            r"skype|discord|slack)(?![A-Za-z0-9])(?:[ \t]++(?i:handle|user[ _\-]?name|id|account|name)(?![A-Za-z0-9]))?+"
            r"(?:[ \t]++(?i:is|was)(?![A-Za-z0-9]))?+[ \t]*+[:=]?[ \t]*+[\"'“]?(?P<v>@?[A-Za-z0-9][A-Za-z0-9._\-]{1,37}[A-Za-z0-9])"
        ),
        0.8, group="v", validate=_username, name="username",
    ),
]


def ip_recognizer(language: str = "en") -> RegexRecognizer:
    return RegexRecognizer("SupportIpRecognizer", IP_RULES, supported_language=language)


def username_recognizer(language: str = "en") -> RegexRecognizer:
    return RegexRecognizer("UsernameRecognizer", USERNAME_RULES, supported_language=language)

"""Secrets and credentials people paste into tickets: API keys with known prefixes, cloud
access keys, bearer tokens and Authorization headers, JWTs, private keys, passwords after
``password:``, secrets in ``KEY=value`` lines, credentials and tokens inside URLs. All are
reported as SECRET; the part redacted is the secret itself, so the sentence (and a URL's
host and path) stays readable."""

from __future__ import annotations

import regex as re

from curate.pii.recognizers.base import RegexRecognizer, Rule

SECRET = "SECRET"

#: Known key formats (prefix + length), shared with the residual check.
KEY_PATTERNS: list[tuple[str, str]] = [
    ("aws_access_key", r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}"),
    ("github_token", r"(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,255}"),
    ("github_pat", r"github_pat_[A-Za-z0-9_]{22,255}"),
    ("gitlab_token", r"glpat-[A-Za-z0-9_\-]{20,}"),
    ("slack_token", r"xox[abposr]-[A-Za-z0-9\-]{10,}"),
    ("slack_webhook", r"hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+"),
    ("stripe_key", r"(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("openai_key", r"sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
    ("anthropic_key", r"sk-ant-[A-Za-z0-9_\-]{20,}"),
    ("google_api_key", r"AIza[0-9A-Za-z_\-]{35}"),
    ("google_oauth", r"ya29\.[0-9A-Za-z_\-]{20,}"),
    ("sendgrid_key", r"SG\.[A-Za-z0-9_\-]{16,32}\.[A-Za-z0-9_\-]{16,64}"),
    ("twilio_key", r"SK[0-9a-fA-F]{32}"),
    ("npm_token", r"npm_[A-Za-z0-9]{36}"),
    ("pypi_token", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_\-]{30,}"),
    ("huggingface_token", r"hf_[A-Za-z0-9]{30,}"),
    ("digitalocean_token", r"do[porp]_v1_[a-f0-9]{64}"),
    ("shopify_token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    ("azure_storage_key", r"AccountKey=[A-Za-z0-9+/=]{40,512}"),
    ("jwt", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
]
KNOWN_KEYS = re.compile(r"(?<![A-Za-z0-9_\-])(?:" + "|".join(p for _, p in KEY_PATTERNS) + r")(?![A-Za-z0-9_\-])")
PRIVATE_KEY = re.compile(
    r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z]+ )*PRIVATE KEY(?: BLOCK)?-----|$)"
)

# Values after a password label that are words about the password, not the password.
_NOT_PASSWORDS = frozenset(
    """incorrect wrong invalid expired reset required changed forgotten forgot lost correct same new old
    blank empty none null n/a na hidden redacted removed attached below above sent updated ok fine not
    the a my your this that it is was does doesn't field box manager policy protected change recovery""".split()
)


def _password(value: str, text: str, start: int, end: int) -> float | None:
    v = value.strip("\"'`")
    if len(v) < 4 or v.lower() in _NOT_PASSWORDS or v.startswith("<") or set(v) <= {"*", "x", "X", "•", "."}:
        return None
    if v.isalpha() and v.islower() and len(v) > 3:
        # a plain lowercase word: a password only right after "password:" or "pwd="
        sep = text[max(0, start - 3):start]
        return 0.0 if (":" in sep or "=" in sep) else None
    return 0.0


def _assigned(value: str, text: str, start: int, end: int) -> float | None:
    v = value.strip("\"'`")
    if v.startswith(("<", "$", "{", "%")) or v.lower() in _NOT_PASSWORDS or set(v) <= {"*", "x", "X", "."}:
        return None
    has_digit = any(c.isdigit() for c in v)
    has_alpha = any(c.isalpha() for c in v)
    return 0.0 if (has_digit and has_alpha) or len(v) >= 24 else None


_PW_LABEL = (
    r"(?:password|passwd|passwort|pass|pwd|pw|passcode|passphrase|pin|pin code|security code|one-time code|"
    r"otp|secret|api[ _\-]?key|apikey|access[ _\-]?key|secret[ _\-]?key|access[ _\-]?token|auth[ _\-]?token|"
    r"token|client[ _\-]?secret|credentials?)"
)

#: the longest part of a key's name before or after its keyword (AWS_SECRET_ACCESS_KEY)
KEY_AFFIX = 64

SECRET_RULES = [
    Rule(SECRET, KNOWN_KEYS, 0.95, name="known_key"),
    Rule(SECRET, PRIVATE_KEY, 1.0, name="private_key"),
    Rule(  # Authorization: Bearer xxx / Basic xxx
        SECRET,
        re.compile(r"(?i:authorization|proxy-authorization)[ \t]*[:=][ \t]*[\"']?(?i:bearer|basic|token|digest|apikey)[ \t]+(?P<v>[A-Za-z0-9\-._~+/=]{8,})"),
        0.95, group="v", name="auth_header",
    ),
    Rule(  # Bearer eyJ... anywhere
        SECRET,
        re.compile(r"(?<![\w])(?i:bearer)[ \t]+(?P<v>[A-Za-z0-9\-._~+/]{16,}=*)"),
        0.9, group="v", name="bearer",
    ),
    Rule(  # password: hunter2 / my password is Summer2024! / pwd=...
        SECRET,
        re.compile(
            rf"(?<![\w?&;#])(?i:{_PW_LABEL})(?![\w])(?:[ \t]*+[:=][ \t]*+|[ \t]++(?i:is|was)[ \t]*+:?[ \t]*+|[ \t]++)"
            rf"[\"'`]?(?P<v>[^\s\"'`,;]{{3,128}})"
        ),
        0.85, group="v", validate=_password, name="password",
    ),
    Rule(  # AWS_SECRET_ACCESS_KEY=..., "client_secret": "...", db_password = ...
        SECRET,
        re.compile(
            # a key's name is read from its first character only, and at most KEY_AFFIX
            # characters on each side of the keyword: in a run of "-" or "." every
            # character was a start that read the rest of the run
            rf"(?<![\w?&;#.\-])[\"']?(?P<k>[A-Za-z0-9_.\-]{{0,{KEY_AFFIX}}}(?i:secret|token|passw(?:or)?d|pwd|api_?key|access_?key|private_?key|credential)"
            rf"[A-Za-z0-9_.\-]{{0,{KEY_AFFIX}}})[\"']?"
            r"[ \t]*+(?::|=|=>)[ \t]*+[\"']?(?P<v>[A-Za-z0-9/+_\-.=~!@#$%^*]{8,})"
        ),
        0.85, group="v", validate=_assigned, name="assignment",
    ),
    Rule(  # https://user:pass@host
        SECRET,
        re.compile(r"(?<![\w])[A-Za-z][A-Za-z0-9+.\-]{1,15}://(?P<v>[^\s:/@]{1,64}:[^\s@/]{1,128})@"),
        0.9, group="v", name="url_credentials",
    ),
    Rule(  # ?token=... &api_key=... #access_token=... X-Amz-Signature=...
        SECRET,
        re.compile(
            r"[?&#;](?i:token|access_token|id_token|refresh_token|auth_token|api_key|apikey|key|auth|code|sig|"
            r"signature|secret|client_secret|password|pwd|pass|session|sessionid|session_id|sid|jwt|otp|"
            r"reset_token|invite|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|sv|se|sp)"
            r"=(?P<v>[^&#\s\"'<>]{6,})"
        ),
        0.9, group="v", validate=lambda v, t, s, e: None if v.isdigit() and len(v) < 10 else 0.0, name="url_token",
    ),
]


def secret_recognizer(language: str = "en") -> RegexRecognizer:
    return RegexRecognizer("SecretRecognizer", SECRET_RULES, supported_language=language)

"""Record ids that hold personal data (``jsonl:tickets:jane.doe@example.com-17``): from the
redact stage on, such an id is replaced by a keyed hash of it, ``jsonl:tickets:id-<hex>``.
The source prefix is kept; nothing else of the id (two ids that share a part get
unrelated hashes). The same id and salt always give the same hash, so builds, resumes and
``curate inspect --id ORIGINAL`` find the record again.

The key is the pseudonym salt (``redact.salt_env``, CURATE_PII_SALT by default). Without
it the hash is keyed by a fixed public label: the id still leaves no file readable, but
anyone who guesses the original id (a customer's e-mail address) can confirm the guess.
Set the salt to rule that out."""

from __future__ import annotations

import hashlib
import hmac
import os

from curate.pii.secrets import read_salt

#: what a replaced id's native part starts with
PREFIX = "id-"
#: hex characters of the HMAC-SHA256 kept (80 bits: no collision in any real dataset)
HASH_CHARS = 20
#: the key without a salt (public: it hides the id from readers, not from guessers)
UNKEYED = b"curate-record-id-unkeyed"


def id_key(salt_env: str) -> tuple[bytes, bool]:
    """The key of id hashes and whether it is secret (the salt is set)."""
    if os.environ.get(salt_env, ""):
        return read_salt(salt_env), True
    return UNKEYED, False


def native_part(record_id: str, source: str | None) -> str:
    """The part of an id a source took from its data (after ``<source>:``)."""
    if source and record_id.startswith(source + ":"):
        return record_id[len(source) + 1:]
    return record_id


def redacted_id(record_id: str, source: str | None, key: bytes) -> str:
    """``<source>:id-<hash>`` for ``record_id``."""
    prefix = f"{source}:" if source and record_id.startswith(source + ":") else ""
    digest = hmac.new(key, f"record-id\x00{record_id}".encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()
    return f"{prefix}{PREFIX}{digest[:HASH_CHARS]}"


def is_redacted(record_id: str, source: str | None) -> bool:
    native = native_part(record_id, source)
    return native.startswith(PREFIX) and len(native) >= len(PREFIX) + HASH_CHARS


def lookup(record_id: str, sources: list[str], salt_env: str) -> list[str]:
    """The ids a record first known as ``record_id`` may have after redaction: itself,
    and its hash under the source it starts with (for ``curate inspect --id``)."""
    key, _ = id_key(salt_env)
    out = [record_id]
    for src in sorted({s for s in sources if s and record_id.startswith(s + ":")}, key=len, reverse=True):
        out.append(redacted_id(record_id, src, key))
    if len(out) == 1:
        out.append(redacted_id(record_id, None, key))
    return out

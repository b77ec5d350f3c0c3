"""The two secrets of the redact stage, read from environment variables only: the salt
that keys pseudonyms and hashes, and the key of the encrypt operator. Neither is ever
written to the config, the run folder, a log line or an error message; only a short key
id (an HMAC of a fixed label) is recorded so that ``curate pii reveal`` can tell a wrong
key from a right one."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets as _secrets

from curate.errors import ConfigError

MIN_SALT = 16


def read_salt(env: str) -> bytes:
    value = os.environ.get(env, "")
    if not value:
        raise ConfigError(
            f"redact: the pseudonymize and hash operators need a secret salt in the environment variable {env} "
            f"(at least {MIN_SALT} characters; keep it outside the config and the run folder)"
        )
    if len(value) < MIN_SALT:
        raise ConfigError(f"redact: the salt in {env} is too short: use at least {MIN_SALT} characters")
    return value.encode("utf-8")


def parse_key(value: str, env: str) -> bytes:
    """An AES key given as 32/48/64 hex digits or base64(url) of 16/24/32 bytes."""
    value = value.strip()
    raw: bytes | None = None
    if len(value) in (32, 48, 64):
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raw = None
    if raw is None:
        try:
            padded = value + "=" * (-len(value) % 4)
            raw = base64.urlsafe_b64decode(padded.replace("+", "-").replace("/", "_"))
        except (binascii.Error, ValueError):
            raw = None
    if raw is None or len(raw) not in (16, 24, 32):
        raise ConfigError(
            f"the key in {env} is not an AES key: give 64 hex digits or the base64 of 32 bytes "
            f"(`curate pii keygen` prints one)"
        )
    return raw


def read_key(env: str) -> bytes:
    value = os.environ.get(env, "")
    if not value:
        raise ConfigError(
            f"the encrypt operator needs a key in the environment variable {env} "
            f"(create one with `curate pii keygen`; keep it outside the config and the run folder)"
        )
    return parse_key(value, env)


def new_key() -> str:
    """A fresh 256-bit key, base64url without padding."""
    return base64.urlsafe_b64encode(_secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def key_id(secret: bytes) -> str:
    """A short public fingerprint of a secret (salt or key); reveals nothing about it."""
    return hmac.new(secret, b"curate-pii-key-id", hashlib.sha256).hexdigest()[:12]

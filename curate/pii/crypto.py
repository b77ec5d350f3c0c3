"""The encrypt operator and ``curate pii reveal``: AES-GCM with a key held outside the run
(an environment variable). A value becomes ``<ENC:PERSON:...>``: the entity type is
authenticated with the ciphertext, so a token cannot be moved to another type, and a wrong
key fails loudly instead of producing garbage."""

from __future__ import annotations

import base64
import os

import regex as re
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from curate.errors import CurateError

TOKEN = re.compile(r"<ENC:([A-Z][A-Z0-9_]*):([A-Za-z0-9_\-]{20,})>")


class RevealError(CurateError):
    """A token cannot be decrypted with the key given."""

    exit_code = 2


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Encryptor:
    def __init__(self, key: bytes):
        self._aead = AESGCM(key)

    def encrypt(self, entity: str, value: str) -> str:
        nonce = os.urandom(12)
        ct = self._aead.encrypt(nonce, value.encode("utf-8"), entity.encode("ascii"))
        return f"<ENC:{entity}:{_b64(nonce + ct)}>"

    def decrypt_token(self, entity: str, payload: str) -> str:
        raw = _unb64(payload)
        try:
            return self._aead.decrypt(raw[:12], raw[12:], entity.encode("ascii")).decode("utf-8")
        except (InvalidTag, ValueError):
            raise RevealError(
                "a token does not decrypt with this key (wrong key, or the token was altered)"
            ) from None

    def reveal(self, text: str, entities: set[str] | None = None) -> tuple[str, int]:
        """``text`` with every ``<ENC:...>`` token (of ``entities``, if given) decrypted,
        and the number of tokens decrypted."""
        n = 0

        def sub(m: re.Match) -> str:
            nonlocal n
            if entities is not None and m.group(1) not in entities:
                return m.group(0)
            n += 1
            return self.decrypt_token(m.group(1), m.group(2))

        return TOKEN.sub(sub, text), n

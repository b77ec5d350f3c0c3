"""Operators: what a detected value becomes. One :class:`RecordOperators` per record keeps
the numbering of placeholders consistent across the record's title, turns and metadata:
``<PERSON_1>`` is the same person everywhere in it, and "Maria" alone is the same person
as "Maria Lopez" when no other person of that record shares the name."""

from __future__ import annotations

import hashlib
import hmac

import regex as re

from curate.pii.config import OperatorConfig, RedactConfig
from curate.pii.crypto import Encryptor
from curate.pii.pseudonyms import NOT_DIGIT, SPACE, SPACES, Pseudonymizer

_TITLES = {"mr", "mrs", "ms", "mx", "miss", "dr", "prof", "sir", "madam"}
# compiled once: it runs for every detection of every record
_NAME_TOKEN = re.compile(r"[\p{L}'’.\-]+")


def identity_key(entity: str, value: str) -> str:
    """What makes two mentions the same value: digits for numbers, lower case for text."""
    if entity in ("PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "US_ITIN"):
        digits = NOT_DIGIT.sub("", value)
        return digits or value.lower()
    if entity in ("IBAN_CODE",):
        return SPACE.sub("", value).upper()
    if entity == "PERSON":
        return " ".join(name_tokens(value))
    return SPACES.sub(" ", value.casefold()).strip()


def name_tokens(value: str) -> list[str]:
    toks = [t.lower().strip(".'’") for t in _NAME_TOKEN.findall(value)]
    return [t for t in toks if t and t not in _TITLES]


class Operators:
    """The operators of a config, with the secrets they need (read by the caller)."""

    def __init__(self, config: RedactConfig, salt: bytes | None = None, key: bytes | None = None):
        self.config = config
        self.salt = salt
        self.pseudonymizer = Pseudonymizer(salt) if salt is not None else None
        self.encryptor = Encryptor(key) if key is not None else None
        from presidio_anonymizer.operators import Mask

        self._mask = Mask()

    def for_record(self) -> RecordOperators:
        return RecordOperators(self)

    def hash(self, entity: str, key: str, length: int) -> str:
        assert self.salt is not None
        digest = hmac.new(self.salt, f"{entity}\x00{key}".encode(), hashlib.sha256).hexdigest()
        return f"<{entity}:{digest[:length]}>"

    def mask(self, value: str, op: OperatorConfig) -> str:
        return self._mask.operate(
            value,
            {"masking_char": op.masking_char, "chars_to_mask": op.chars_to_mask or len(value), "from_end": op.from_end},
        )


class RecordOperators:
    """Operators bound to one record: the numbering of its placeholders."""

    def __init__(self, ops: Operators):
        self.ops = ops
        self._numbers: dict[str, dict[str, int]] = {}
        self._person_groups: dict[str, str] = {}  # identity key -> canonical key

    def prepare(self, mentions: list[tuple[str, str]]) -> None:
        """Number the values of a record in order of first appearance. ``mentions`` are
        (entity, value) pairs in reading order (title, turns, metadata)."""
        persons = [identity_key("PERSON", v) for e, v in mentions if e == "PERSON"]
        full = sorted({p for p in persons if p}, key=lambda k: -len(k.split()))
        canon: dict[str, str] = {}
        # the names that stand for themselves, by word: a name's possible hosts are read
        # from the shortest list of one of its words, not from every name of the record
        by_word: dict[str, list[str]] = {}
        for k in full:
            toks = set(k.split())
            # a shorter name joins the one longer name that contains all its words
            hosts: list[str] = []
            for c in min((by_word.get(t, []) for t in toks), key=len):
                if toks < set(c.split()):
                    hosts.append(c)
                    if len(hosts) > 1:
                        break
            canon[k] = hosts[0] if len(hosts) == 1 else k
            if canon[k] == k:
                for t in toks:
                    by_word.setdefault(t, []).append(k)
        self._person_groups = canon
        for e, v in mentions:
            key = self.group_key(e, v)
            nums = self._numbers.setdefault(e, {})
            if key not in nums:
                nums[key] = len(nums) + 1

    def group_key(self, entity: str, value: str) -> str:
        key = identity_key(entity, value)
        if entity == "PERSON":
            return self._person_groups.get(key, key)
        return key

    def apply(self, entity: str, value: str) -> tuple[str, bool]:
        """The replacement of ``value`` and whether it differs from the original (keep)."""
        op = self.ops.config.operator_for(entity)
        if op.type == "keep":
            return value, False
        if op.type == "replace":
            if op.new_value is not None:
                return op.new_value, True
            if not op.numbered:
                return f"<{entity}>", True
            key = self.group_key(entity, value)
            nums = self._numbers.setdefault(entity, {})
            if key not in nums:
                nums[key] = len(nums) + 1
            return f"<{entity}_{nums[key]}>", True
        if op.type == "mask":
            return self.ops.mask(value, op), True
        if op.type == "hash":
            return self.ops.hash(entity, self.group_key(entity, value), op.hash_length), True
        if op.type == "pseudonymize":
            assert self.ops.pseudonymizer is not None
            return self.ops.pseudonymizer.fake(entity, value), True
        if op.type == "encrypt":
            assert self.ops.encryptor is not None
            return self.ops.encryptor.encrypt(entity, value), True
        raise ValueError(f"unknown operator {op.type}")  # pragma: no cover - config validates

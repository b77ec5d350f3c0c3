"""Realistic fake values for the pseudonymize operator. The same original (per entity
type, after normalising case and spacing) always gives the same fake within a dataset: the
choice is keyed by HMAC-SHA256 with the secret salt, so without the salt nobody can map
fakes back to originals by trying candidates.

Names are replaced word by word ("Maria" and "Maria Lopez" become "Anna" and "Anna
Schmidt"), so one person stays one person across a conversation. Numbers keep their
layout. Fakes are chosen where a real value cannot be: example.com/.org/.net emails,
documentation IP ranges (RFC 5737/3849), SSNs with area 9xx, card and IBAN numbers with a
wrong checksum."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import string
from functools import lru_cache

import regex as re

_NAME_SEPARATORS = re.compile(r"([ \t\n,]+)")
_LETTER = re.compile(r"\p{L}")
_COUNTRY_CODE = re.compile(r"^\s*(?:\+|00)(\d{1,3})")
#: value normalisation, shared with curate.pii.operators (identity keys)
NOT_DIGIT = re.compile(r"\D")
SPACE = re.compile(r"\s")
SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _names() -> tuple[tuple[str, ...], tuple[str, ...], frozenset[str]]:
    from faker.providers.person.en_US import Provider

    first = tuple(sorted(set(Provider.first_names)))
    last = tuple(sorted(set(Provider.last_names)))
    return first, last, frozenset(n.lower() for n in first)


_CITIES = (
    "Springfield", "Riverton", "Fairview", "Kingston", "Milton", "Clinton", "Georgetown", "Salem", "Madison",
    "Franklin", "Greenville", "Bristol", "Ashland", "Oxford", "Dover", "Arlington", "Burlington", "Chester",
    "Clayton", "Dayton", "Hudson", "Jackson", "Lebanon", "Marion", "Newport", "Oakland", "Plymouth", "Quincy",
    "Richmond", "Shelby", "Troy", "Union", "Vernon", "Warren", "Winchester", "Lakewood", "Hillsboro", "Brookfield",
)


@lru_cache(maxsize=1)
def _places() -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    from faker.providers.address.en_US import Provider

    streets = tuple(sorted(set(Provider.street_suffixes)))
    states = tuple(sorted(Provider.states_abbr))
    return streets, _CITIES, states


class Pseudonymizer:
    """Fake values keyed by a secret salt."""

    def __init__(self, salt: bytes):
        self._salt = salt

    def _stream(self, entity: str, key: str) -> bytes:
        msg = f"{entity}\x00{key}".encode()
        out = b""
        counter = 0
        while len(out) < 64:
            out += hmac.new(self._salt, msg + bytes([counter]), hashlib.sha256).digest()
            counter += 1
        return out

    def _pick(self, items, entity: str, key: str, salt: str = ""):
        h = self._stream(entity, key + salt)
        return items[int.from_bytes(h[:8], "big") % len(items)]

    def fake(self, entity: str, value: str) -> str:
        fn = getattr(self, "_" + entity.lower(), None)
        if fn is not None:
            return fn(value)
        return self._shape(entity, value)

    # -- per type ---------------------------------------------------------------------
    def _person(self, value: str) -> str:
        first, last, first_set = _names()
        out = []
        for tok in _NAME_SEPARATORS.split(value):
            if not tok or not _LETTER.search(tok):
                out.append(tok)
                continue
            if len(tok.rstrip(".")) == 1:  # an initial
                out.append(self._pick(string.ascii_uppercase, "PERSON", tok.lower()) + tok[1:])
                continue
            low = tok.lower()
            pool = first if low in first_set else last
            fake = self._pick(pool, "PERSON", low)
            if tok.isupper():
                fake = fake.upper()
            elif tok.islower():
                fake = fake.lower()
            out.append(fake)
        return "".join(out)

    def _email_address(self, value: str) -> str:
        first, last, _ = _names()
        key = value.lower()
        local = f"{self._pick(first, 'EMAIL', key, 'f').lower()}.{self._pick(last, 'EMAIL', key, 'l').lower()}"
        domain = self._pick(("example.com", "example.org", "example.net"), "EMAIL", key, "d")
        return f"{local}@{domain}"

    def _username(self, value: str) -> str:
        first, last, _ = _names()
        key = value.lower().lstrip("@")
        n = int.from_bytes(self._stream("USERNAME", key)[:2], "big") % 100
        name = f"{self._pick(first, 'USERNAME', key)[0].lower()}{self._pick(last, 'USERNAME', key).lower()}{n}"
        return ("@" if value.startswith("@") else "") + name

    def _phone_number(self, value: str) -> str:
        keep = 0
        m = _COUNTRY_CODE.match(value)
        if m:
            keep = m.end()
        return value[:keep] + self._digits("PHONE_NUMBER", value[keep:], key=NOT_DIGIT.sub("", value))

    def _credit_card(self, value: str) -> str:
        digits = NOT_DIGIT.sub("", value)
        fake = self._digits("CREDIT_CARD", value[1:], key=digits)
        fake = value[0] + fake
        d = NOT_DIGIT.sub("", fake)
        from curate.pii.recognizers.base import luhn_ok

        if luhn_ok(d):  # never a valid card number: bump the last digit
            last = len(fake) - 1 - next(i for i, c in enumerate(reversed(fake)) if c.isdigit())
            fake = fake[:last] + str((int(fake[last]) + 1) % 10) + fake[last + 1:]
        return fake

    def _iban_code(self, value: str) -> str:
        compact = SPACE.sub("", value).upper()
        fake = value[:2] + "00" + self._shape("IBAN_CODE", value[4:], key=compact)  # check digits 00: never valid
        return fake

    def _us_ssn(self, value: str) -> str:
        key = NOT_DIGIT.sub("", value)
        fake = self._digits("US_SSN", value, key=key)
        i = next(i for i, c in enumerate(fake) if c.isdigit())
        return fake[:i] + "9" + fake[i + 1:]  # area 9xx is never issued

    def _ip_address(self, value: str) -> str:
        h = self._stream("IP_ADDRESS", value.lower())
        try:
            ip = ipaddress.ip_address(value.split("/")[0])
        except ValueError:
            return self._shape("IP_ADDRESS", value)
        suffix = "/" + value.split("/")[1] if "/" in value else ""
        if ip.version == 4:
            net = ("192.0.2", "198.51.100", "203.0.113")[h[0] % 3]
            return f"{net}.{1 + h[1] % 254}{suffix}"
        return f"2001:db8::{h[2]:02x}{h[3]:02x}:{h[4]:02x}{h[5]:02x}{suffix}"

    def _street_address(self, value: str) -> str:
        first, last, _ = _names()
        streets, cities, states = _places()
        key = SPACES.sub(" ", value.lower()).strip()
        h = self._stream("STREET_ADDRESS", key)
        number = 1 + int.from_bytes(h[:2], "big") % 9899
        street = f"{number} {self._pick(last, 'STREET', key)} {self._pick(streets, 'STREET', key, 's')}"
        if "\n" in value or "," in value:
            city = self._pick(cities, "STREET", key, "c")
            zip_ = f"{int.from_bytes(h[2:5], 'big') % 90000 + 10000}"
            sep = "\n" if "\n" in value else ", "
            return f"{street}{sep}{city}, {self._pick(states, 'STREET', key, 't')} {zip_}"
        return street

    def _location(self, value: str) -> str:
        _, cities, _ = _places()
        return self._pick(cities, "LOCATION", value.lower().strip())

    def _secret(self, value: str) -> str:
        h = self._stream("SECRET", value)
        alphabet = string.ascii_letters + string.digits
        return "".join(alphabet[b % len(alphabet)] for b in (h * (len(value) // 64 + 1))[: len(value)])

    # -- layout-keeping replacement ---------------------------------------------------------
    def _digits(self, entity: str, value: str, key: str) -> str:
        h = self._stream(entity, key)
        out, k = [], 0
        for c in value:
            if c.isdigit():
                out.append(str(h[k % len(h)] % 10))
                k += 1
            else:
                out.append(c)
        return "".join(out)

    def _shape(self, entity: str, value: str, key: str | None = None) -> str:
        """Each digit, lower- and upper-case letter replaced by one of its kind."""
        h = self._stream(entity, key if key is not None else value)
        out = []
        for i, c in enumerate(value):
            b = h[i % len(h)] ^ (i // len(h))
            if c.isdigit():
                out.append(str(b % 10))
            elif c.isalpha() and c.isascii():
                letter = string.ascii_lowercase[b % 26]
                out.append(letter.upper() if c.isupper() else letter)
            else:
                out.append(c)
        return "".join(out)

"""Operators: numbering across turns, pseudonym stability, mask, hash, encrypt/reveal, keep."""

from __future__ import annotations

import re

import pytest

from curate.pii.redactor import RecordIn

CONVERSATION = RecordIn(
    "Refund for Maria Lopez",
    [
        {"role": "user", "content": "Hi,\nI'm Maria Lopez, my card 5425 2334 3010 9903 was charged twice. Call +44 20 7946 0958.\n\nThanks,\nMaria"},
        {"role": "assistant", "content": "Hi Maria,\nsorry about that. My colleague Jonas Berg will call you on +44 20 7946 0958.\n\nBest,\nJonas Berg"},
        {"role": "user", "content": "Thanks Jonas! My email is maria.lopez@example.net"},
    ],
    {"customer": {"name": "Maria Lopez", "email": "maria.lopez@example.net"}, "tier": "gold"},
)


def test_replace_numbers_consistently_across_turns_and_title(make_redactor):
    red = make_redactor(meta_fields=["customer"])
    (out,) = red.redact([CONVERSATION])
    assert out.title == "Refund for <PERSON_1>"
    u1, a1, u2 = (m["content"] for m in out.messages)
    assert "I'm <PERSON_1>, my card <CREDIT_CARD_1>" in u1 and u1.endswith("Thanks,\n<PERSON_1>")
    assert a1.startswith("Hi <PERSON_1>,") and "<PERSON_2> will call you on <PHONE_NUMBER_1>" in a1
    assert a1.endswith("Best,\n<PERSON_2>")
    assert u2 == "Thanks <PERSON_2>! My email is <EMAIL_ADDRESS_1>"
    assert out.meta == {"customer": {"name": "<PERSON_1>", "email": "<EMAIL_ADDRESS_1>"}, "tier": "gold"}
    assert out.pii["PERSON"] == 8 and out.pii["PHONE_NUMBER"] == 2 and out.pii["EMAIL_ADDRESS"] == 2
    assert out.residual == {}


def test_replace_variants(make_redactor):
    red = make_redactor(operators={"PERSON": {"type": "replace", "numbered": False}, "EMAIL_ADDRESS": {"type": "replace", "new_value": "[email]"}})
    text, _, _ = red.redact_text("Hi Maria,\nwrite to maria@example.org or ask John Smith.")
    assert text == "Hi <PERSON>,\nwrite to [email] or ask <PERSON>."


def test_pseudonyms_are_stable_and_realistic(make_redactor, salt):
    red = make_redactor(default_operator={"type": "pseudonymize"})
    a = red.redact([CONVERSATION])[0]
    b = red.redact([RecordIn(None, [{"role": "user", "content": "Please ask Maria Lopez, or Maria, to call +44 20 7946 0958."}])])[0]
    title_fake = a.title.removeprefix("Refund for ")
    assert title_fake != "Maria Lopez" and re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", title_fake)
    text = b.messages[0]["content"]
    first = title_fake.split()[0]
    # the same original gives the same fake in another record; "Maria" alone keeps the first name
    assert f"ask {title_fake}, or {first}," in text
    phone_fake = re.search(r"call (.+)\.$", text).group(1)
    assert phone_fake.startswith("+44 ") and phone_fake != "+44 20 7946 0958" and phone_fake in a.messages[1]["content"]
    email = re.search(r"email is (\S+)", a.messages[2]["content"]).group(1)
    assert email.endswith(("@example.com", "@example.org", "@example.net")) and email != "maria.lopez@example.net"
    card = re.search(r"my card (.+?) was", a.messages[0]["content"]).group(1)
    from curate.pii.recognizers.base import digits_of, luhn_ok

    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", card) and not luhn_ok(digits_of(card))
    assert a.residual == {}


def test_pseudonyms_depend_on_the_salt(make_redactor, salt, monkeypatch):
    red1 = make_redactor(operators={"PERSON": {"type": "pseudonymize"}})
    monkeypatch.setenv("CURATE_PII_SALT", "another-salt-entirely-0123")
    red2 = make_redactor(operators={"PERSON": {"type": "pseudonymize"}})
    t1, _, _ = red1.redact_text("My name is Maria Lopez.")
    t2, _, _ = red2.redact_text("My name is Maria Lopez.")
    assert t1 != t2 and "Maria" not in t1 + t2


def test_pseudonymize_and_hash_need_the_salt(make_redactor, monkeypatch):
    from curate.errors import ConfigError

    monkeypatch.delenv("CURATE_PII_SALT", raising=False)
    with pytest.raises(ConfigError, match="CURATE_PII_SALT"):
        make_redactor(operators={"PERSON": {"type": "hash"}})
    monkeypatch.setenv("CURATE_PII_SALT", "short")
    with pytest.raises(ConfigError, match="too short") as exc:
        make_redactor(operators={"PERSON": {"type": "pseudonymize"}})
    assert "short'" not in str(exc.value) and ": short" not in str(exc.value)


def test_mask(make_redactor):
    red = make_redactor(operators={"CREDIT_CARD": {"type": "mask", "chars_to_mask": 15, "masking_char": "#"}, "PHONE_NUMBER": {"type": "mask"}})
    text, _, res = red.redact_text("card 4111 1111 1111 1111, phone +44 20 7946 0958")
    assert text == "card ###############1111, phone ****************"
    assert res == {}


def test_hash_is_keyed_and_stable(make_redactor, salt):
    red = make_redactor(operators={"PERSON": {"type": "hash", "hash_length": 12}, "EMAIL_ADDRESS": {"type": "hash"}})
    t1, _, _ = red.redact_text("Hi Maria Lopez, write to MARIA@example.org")
    t2, _, _ = red.redact_text("maria lopez wrote from maria@example.org.\nThanks,\nMaria Lopez")
    h_person = re.search(r"<PERSON:([0-9a-f]{12})>", t1).group(1)
    h_mail = re.search(r"<EMAIL_ADDRESS:([0-9a-f]{16})>", t1).group(1)
    assert f"<PERSON:{h_person}>" in t2 and f"<EMAIL_ADDRESS:{h_mail}>" in t2
    import hashlib

    assert h_mail != hashlib.sha256(b"maria@example.org").hexdigest()[:16]


def test_encrypt_reveal_round_trip(make_redactor, key):
    from curate.pii.crypto import Encryptor
    from curate.pii.secrets import read_key

    red = make_redactor(default_operator={"type": "encrypt"}, operators={"LOCATION": {"type": "keep"}})
    original = "Hi Maria,\nmy card 5425 2334 3010 9903 and IBAN DE89 3704 0044 0532 0130 00 are on file. I live in Berlin."
    text, counts, res = red.redact_text(original)
    assert "Maria" not in text and "5425" not in text and "DE89" not in text and "Berlin" in text
    assert res == {} and counts["CREDIT_CARD"] == 1
    revealed, n = Encryptor(read_key("CURATE_PII_KEY")).reveal(text)
    assert revealed == original and n == 3
    only_cards, n = Encryptor(read_key("CURATE_PII_KEY")).reveal(text, {"CREDIT_CARD"})
    assert "5425 2334 3010 9903" in only_cards and "Maria" not in only_cards and n == 1


def test_reveal_with_a_wrong_key_fails(make_redactor, key):
    from curate.pii.crypto import Encryptor, RevealError
    from curate.pii.secrets import new_key, parse_key

    text, _, _ = make_redactor(default_operator={"type": "encrypt"}).redact_text("Call John Smith on +44 20 7946 0958")
    with pytest.raises(RevealError) as exc:
        Encryptor(parse_key(new_key(), "X")).reveal(text)
    assert "John" not in str(exc.value)
    # a token moved to another type does not decrypt either
    swapped = re.sub(r"<ENC:PERSON:", "<ENC:LOCATION:", text)
    with pytest.raises(RevealError):
        Encryptor(parse_key(key, "X")).reveal(swapped)


def test_keep_counts_but_does_not_change(make_redactor):
    red = make_redactor(operators={"LOCATION": {"type": "keep"}})
    text, counts, _ = red.redact_text("I moved from Berlin to Madrid last year.")
    assert text == "I moved from Berlin to Madrid last year." and counts.get("LOCATION") == 2


def test_key_parsing():
    from curate.errors import ConfigError
    from curate.pii.secrets import key_id, new_key, parse_key

    k = new_key()
    assert len(parse_key(k, "K")) == 32 and len(parse_key("00" * 32, "K")) == 32
    with pytest.raises(ConfigError, match="not an AES key") as exc:
        parse_key("not-a-key", "K")
    assert "not-a-key" not in str(exc.value)
    assert key_id(b"a" * 32) != key_id(b"b" * 32) and len(key_id(b"a" * 32)) == 12

"""Every recognizer curate adds, through the real analyzer (spaCy + Presidio)."""

from __future__ import annotations

import pytest


def found(analyzer, text: str) -> list[tuple[str, str]]:
    """(entity, value) of what the analyzer would redact in ``text``."""
    (dets,) = analyzer.analyze_texts([text])
    return [(d.entity, text[d.start:d.end]) for d in dets]


def has(analyzer, text: str, entity: str, value: str) -> bool:
    return (entity, value) in found(analyzer, text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("Hi Maria,\nthe export is empty.", "Maria"),
        ("Dear Mr. Okonkwo, thanks for the update.", "Okonkwo"),
        ("Good morning Jean-Luc!\nAny news?", "Jean-Luc"),
        ("The app crashes.\n\nThanks,\nJohn", "John"),
        ("The app crashes.\n\nBest regards,\nPriya Raghunathan\nIT Administrator", "Priya Raghunathan"),
        ("It works now. Cheers, Tomasz", "Tomasz"),
        ("See below.\n\n-- \nAnna Lindqvist\nAcme Ltd", "Anna Lindqvist"),
        ('From: "Lopez, Maria" <m.lopez@example.com>\nSubject: refund', "Lopez, Maria"),
        ("On Mon, 4 Mar 2024 at 09:12, Henrik Solberg <h@example.com> wrote:\n> hi", "Henrik Solberg"),
        ("My name is Željko Horvat and I cannot log in.", "Željko Horvat"),
        ("This is Priya from the billing team.", "Priya"),
        ("Name: Victoria Bruun\nPhone: 555 0100", "Victoria Bruun"),
        ("[10:32] Maria: the page is blank\n[10:33] Agent: checking", "Maria"),
        ("Please add my colleague Ines Duarte to the account.", "Ines Duarte"),
        ("my name is lena andersson.", "lena andersson"),
    ],
)
def test_names_in_support_text(default_analyzer, text, value):
    assert has(default_analyzer, text, "PERSON", value), found(default_analyzer, text)


def test_greeting_words_are_not_names(default_analyzer):
    for text in ("Hi team,\nany update?", "Hello support,\nthanks", "Hi there,\nplease help", "Thanks,\nSupport Team"):
        assert not [f for f in found(default_analyzer, text) if f[0] == "PERSON"], text


def test_name_list_and_address_block_names(default_analyzer):
    text = "Dreux Joly\nPaxata\nPSC 3294, Box 9168\nAPO AA 61487"
    assert has(default_analyzer, text, "PERSON", "Dreux Joly")
    assert has(default_analyzer, text, "STREET_ADDRESS", "PSC 3294, Box 9168\nAPO AA 61487")


@pytest.mark.parametrize(
    "text, value",
    [
        ("Ship it to 1600 Amphitheatre Parkway, Mountain View, CA 94043 please", "1600 Amphitheatre Parkway, Mountain View, CA 94043"),
        ("My address: Feldstrasse 42, 10115 Berlin", "Feldstrasse 42, 10115 Berlin"),
        ("Send it to:\n974 Via Roma 131\nApt. 425\nMontafia\nItaly 39767", "974 Via Roma 131\nApt. 425\nMontafia\nItaly 39767"),
        ("Our office is at 10 Downing Street, London SW1A 2AA", "10 Downing Street, London SW1A 2AA"),
        ("My new address is rue Alves, 41199 Marques-sur-Pineau. Thanks", "rue Alves, 41199 Marques-sur-Pineau"),
    ],
)
def test_street_addresses(default_analyzer, text, value):
    assert has(default_analyzer, text, "STREET_ADDRESS", value), found(default_analyzer, text)


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958", "+49 30 1234567", "+41 (0)62 585 51 90", "+1-903-140-4508x769", "0049 30 1234 567",
        "(602) 272-9781", "930.167.3943", "07700 900461", "+33 6 12 34 56 78", "+91 98765 43210", "+61 2 9876 5432",
    ],
)
def test_international_phones(default_analyzer, phone):
    text = f"You can call me on {phone} after 5pm."
    assert has(default_analyzer, text, "PHONE_NUMBER", phone), found(default_analyzer, text)


def test_grouped_digits_need_a_phone_word(default_analyzer):
    assert has(default_analyzer, "Mobile: 737 219 628", "PHONE_NUMBER", "737 219 628")
    assert not found(default_analyzer, "We sold 737 219 628 units in total.")
    assert not found(default_analyzer, "Please cancel order 00004587345 today.")


@pytest.mark.parametrize(
    "card",
    ["4111 1111 1111 1111", "5425-2334-3010-9903", "2223000048400011", "378282246310005", "4393889199179061388"],
)
def test_cards_with_luhn(default_analyzer, card):
    assert has(default_analyzer, f"My card {card} was charged twice.", "CREDIT_CARD", card)


def test_card_needs_luhn_and_issuer(default_analyzer):
    assert not [f for f in found(default_analyzer, "card 4111 1111 1111 1112 declined") if f[0] == "CREDIT_CARD"]
    assert not found(default_analyzer, "I would like to cancel purchase 113542617735902")


@pytest.mark.parametrize(
    "text, value",
    [
        ("my AWS access key is AKIAIOSFODNN7EXAMPLE, sorry", "AKIAIOSFODNN7EXAMPLE"),
        ("token ghp_" + "a1B2" * 9 + " leaked", "ghp_" + "a1B2" * 9),
        ("our key sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc" + " stopped", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"),
        ("xoxb-12345678901-abcdefghijklmnopqrstuvwx is the bot token", "xoxb-12345678901-abcdefghijklmnopqrstuvwx"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N"),
        ("password: hunter22", "hunter22"),
        ("my password is Summer2024! since Monday", "Summer2024!"),
        ("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        ("see https://app.example.com/reset?token=Zx81kfP0q2Lr&lang=en", "Zx81kfP0q2Lr"),
        ("postgres://admin:s3cr3tPass@db.internal:5432/app", "admin:s3cr3tPass"),
    ],
)
def test_secrets(default_analyzer, text, value):
    assert has(default_analyzer, text, "SECRET", value), found(default_analyzer, text)


def test_private_key_block(default_analyzer):
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0Z\n-----END RSA PRIVATE KEY-----"
    assert has(default_analyzer, "here:\n" + block + "\nthanks", "SECRET", block)


def test_password_words_are_not_passwords(default_analyzer):
    for text in ("my password is incorrect", "the password reset link expired", "password field is empty"):
        assert not [f for f in found(default_analyzer, text) if f[0] == "SECRET"], text


def test_ip_addresses_and_versions(default_analyzer):
    assert has(default_analyzer, "Our server 10.79.43.195 cannot connect", "IP_ADDRESS", "10.79.43.195")
    assert has(default_analyzer, "from fe80::1ff:fe23:4567:890a today", "IP_ADDRESS", "fe80::1ff:fe23:4567:890a")
    assert not found(default_analyzer, "after upgrading to version 1.2.3.4 it binds to 127.0.0.1")


def test_usernames_and_ssn(default_analyzer):
    assert has(default_analyzer, "my username is jdoe_1984 and I'm locked out", "USERNAME", "jdoe_1984")
    assert not found(default_analyzer, "the login page is blank")
    assert has(default_analyzer, "For the tax form, my SSN is 078-05-1120.", "US_SSN", "078-05-1120")


def test_configured_patterns_and_deny_list(make_redactor):
    red = make_redactor(
        patterns=[{"entity": "ORDER_ID", "regex": r"\bORD-\d{6}\b"}, {"entity": "ACCOUNT_ID", "regex": r"acct (?P<value>\d{8})"}],
        deny_list={"PROJECT": ["Bluebird"]},
    )
    text, counts, _ = red.redact_text("Order ORD-123456 on acct 12345678 for project bluebird.")
    assert text == "Order <ORDER_ID_1> on acct <ACCOUNT_ID_1> for project <PROJECT_1>."
    assert counts == {"ACCOUNT_ID": 1, "ORDER_ID": 1, "PROJECT": 1}


def test_allow_list(make_redactor):
    red = make_redactor(allow_list=["Maria"], allow_patterns=[r"Acme\w*"])
    text, _, _ = red.redact_text("Hi Maria,\nI spoke to John Smith about it.")
    assert "Maria" in text and "John Smith" not in text


def test_technical_tokens_survive(redactor):
    text = (
        "After updating to version 10.0.19045.3693 (build 22631.2861) Outlook shows error 0x80070005, "
        "ERR_CONNECTION_REFUSED and KB5034441 fails; segfault at 0x7ffd5e8c, commit 3fa9c1d, request id "
        "9f1c2e7a-5b3d-4e8f-a1b2-c3d4e5f6a7b8, HTTP 503 since the release of March 3, 2024 on macOS Sonoma, PostgreSQL 15."
    )
    out, counts, _ = redactor.redact_text(text)
    assert out == text, counts


def test_unknown_entity_is_a_config_error(default_analyzer):
    from curate.errors import ConfigError
    from curate.pii.config import RedactConfig
    from curate.pii.engine import PiiAnalyzer

    with pytest.raises(ConfigError, match="NOT_A_TYPE"):
        PiiAnalyzer(RedactConfig(entities=["PERSON", "NOT_A_TYPE"]), nlp_engine=default_analyzer.nlp_engine)


def test_missing_model_is_a_config_error():
    from curate.errors import ConfigError
    from curate.pii.config import RedactConfig
    from curate.pii.engine import build_nlp_engine

    with pytest.raises(ConfigError, match="neither an installed package nor a folder"):
        build_nlp_engine(RedactConfig(model={"name": "en_core_web_lg_missing"}))


def test_ner_only_pipeline(default_analyzer):
    assert default_analyzer.nlp.pipe_names == ["ner"]

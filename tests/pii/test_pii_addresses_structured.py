"""Street addresses in their countries' postal forms, and the structured types in the layouts
that leaked (IBANs followed by a capital, 12-digit Maestro cards, slash area codes, numbers in
a signature's brackets), through the real analyzer (spaCy + Presidio); with what must stay."""

from __future__ import annotations

import pytest

from curate.pii.recognizers.base import luhn_ok


def found(analyzer, text: str) -> list[tuple[str, str]]:
    (dets,) = analyzer.analyze_texts([text])
    return [(d.entity, text[d.start:d.end]) for d in dets]


def typed(analyzer, text: str, entity: str) -> list[str]:
    return [v for e, v in found(analyzer, text) if e == entity]


def covered(analyzer, text: str, entity: str, value: str) -> bool:
    """A detection of ``entity`` holds all of ``value``."""
    start = text.index(value)
    (dets,) = analyzer.analyze_texts([text])
    return any(d.entity == entity and d.start <= start and d.end >= start + len(value) for d in dets)


SIGNATURE = "Best regards,\nOla Nordmann\nOffice Manager\nBluebird Ltd\nT: +44 20 7946 0958\n{}\n\nOn Mon, 3 Mar 2025 at 10:00, Support wrote:"


@pytest.mark.parametrize(
    "address",
    [
        # Australia: street type of the Australian list, suburb, state, postcode
        "14 Banksia Arcade, Kellyville, NSW, 2155",
        "Unit 4 22 Wattle Parade\nNorth Ryde, NSW, 2113",
        # Canada: province and postcode
        "880 Maple Keys\nWest Halton, ON L7T 4K2",
        "1201 Birch Cove Apt. 12, Moncton, NB E1C 4M3",
        # India: house number, street, town and PIN
        "H.No. 12, Gandhi Marg, Nagpur 440012",
        "45/7, Nehru Nagar, Pune-411001",
        # continental: street and number, comma, postcode and town
        "Lipová 12, 602 00 Brno",
        "plac Kościuszki 4, 50-038 Wrocław",
        "al. Jerozolimskie 65/79, 00-697 Warszawa",
        "Korenbloemstraat 8, 3514 AB, Utrecht",
        "Kerkpad 21\n2011 HK\nHaarlem",
        "Callejón del Agua 7, Sevilla, 41004",
        "Borgo Pinti, 18, 50121, Firenze (FI)",
        "Residencial Ipê, 40, Centro, 01310-100 São Paulo / SP",
        "rue Lamartine, 75009 Paris",
    ],
)
def test_addresses_in_a_signature_block(default_analyzer, address):
    text = SIGNATURE.format(address)
    first = address.split("\n")[0].split(",")[0]
    assert covered(default_analyzer, text, "STREET_ADDRESS", first), found(default_analyzer, text)


def test_the_street_before_a_postal_line_is_taken():
    from curate.pii.recognizers.address import StreetAddressRecognizer

    rec = StreetAddressRecognizer()
    text = "Regards\n6 Jarrah Top, Eastwood, SA, 5063\n"
    spans = [text[r.start:r.end] for r in rec.analyze(text, ["STREET_ADDRESS"])]
    assert "6 Jarrah Top, Eastwood, SA, 5063" in spans
    text = "Regards\n31 Gum Tree Ground\nEastwood, SA, 5063\n"
    spans = [text[r.start:r.end] for r in rec.analyze(text, ["STREET_ADDRESS"])]
    assert "31 Gum Tree Ground\nEastwood, SA, 5063" in spans
    # a phone line above is no street line
    text = "Mobile 0412 345 678\nEastwood, SA, 5063\n"
    spans = [text[r.start:r.end] for r in rec.analyze(text, ["STREET_ADDRESS"])]
    assert spans == ["Eastwood, SA, 5063"]


@pytest.mark.parametrize(
    "text",
    [
        "Sent: Thu, 25 Jun 2024 at 18:15\nSubject: refund",
        "On Wed, 3 Jan 2025 at 09:12, Support <help@example.com> wrote:",
        "I sent it on 12 March 2024 and again on 14 March.",
        "Look for 502 Bad Gateway in the log.",
        "Since Windows 10, 22631 Build is the one we run.",
        "My iPad 9 and the Keypad 2 do not pair.",
        "See Smith et al. Jones 2020 for the method.",
        "Best to reach me at +33 5 65 45 42 98 The card used was 4111 1111 1111 1111.",
        "The HP LaserJet Pro 4001 stopped on page 12, 2024 Edition.",
        "HDD: Btrfs raid10 mode, 4x 4TB Hard Drives. No issues with the drives.",
        "Effective January 1, 2001, Alaska Airlines and Horizon Air will introduce a new structure.",
        "The server has 2 USB Ports and 3 API Keys.",
    ],
)
def test_no_street_address_in_dates_codes_and_products(default_analyzer, text):
    assert not typed(default_analyzer, text, "STREET_ADDRESS"), found(default_analyzer, text)


def test_an_address_ends_at_a_full_stop(default_analyzer):
    text = "Customer confirmed the new address: 5, rue Voltaire, 69003 Lyon-les-Bains. The Chromebook we bought is broken."
    spans = typed(default_analyzer, text, "STREET_ADDRESS")
    assert spans and all("Chromebook" not in s for s in spans), spans


@pytest.mark.parametrize(
    "text, value",
    [
        ("Please refund to IBAN ES91 2100 0418 4502 0005 1332 Here is the form", "ES91 2100 0418 4502 0005 1332"),
        ("Our bank details: IBAN AT611904300234573201 Please ship it", "AT611904300234573201"),
        ("IBAN GB82 WEST 1234 5698 7654 32. Thanks", "GB82 WEST 1234 5698 7654 32"),
    ],
)
def test_ibans_followed_by_a_capital(default_analyzer, text, value):
    assert covered(default_analyzer, text, "IBAN_CODE", value), found(default_analyzer, text)


def test_invalid_ibans_and_codes_are_no_iban():
    from curate.pii.recognizers.iban import IbanCutRecognizer

    rec = IbanCutRecognizer()
    for text in ("IBAN ES91 2100 0418 4502 0005 1333 Here", "build AB12 3456 7890 1234 5678 Z", "KB5034441 and HTTP 503"):
        assert not rec.analyze(text, ["IBAN_CODE"]), text


def _maestro12() -> str:
    base = "67620000001"
    return next(base + str(d) for d in range(10) if luhn_ok(base + str(d)))


def test_maestro_cards_of_twelve_digits(default_analyzer):
    card = _maestro12()
    grouped = f"{card[:4]}-{card[4:8]}-{card[8:]}"
    text = f"it was charged to {grouped} (the company card)."
    assert covered(default_analyzer, text, "CREDIT_CARD", grouped), found(default_analyzer, text)
    # a Luhn-valid 12-digit number with no issuer prefix and no card word is an order number
    order = next(f"81234567890{d}" for d in range(10) if luhn_ok(f"81234567890{d}"))
    text = f"Order {order} was shipped."
    assert not typed(default_analyzer, text, "CREDIT_CARD"), found(default_analyzer, text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("Regards,\nKent\nTel: 0463/29964137\n", "0463/29964137"),
        ("Ops lead\nk.berger@example.at | 0662/75332015\n", "0662/75332015"),
        ("My number is 8493461263 any time after 2pm.", "8493461263"),
        ("Cheers,\nZdenka <04340506537>", "04340506537"),
        ("Regards,\nBohuslav Tůma <600 920 554>", "600 920 554"),
    ],
)
def test_phones_in_slash_bracket_and_my_number_forms(default_analyzer, text, value):
    assert covered(default_analyzer, text, "PHONE_NUMBER", value), found(default_analyzer, text)


@pytest.mark.parametrize(
    "text",
    [
        "Order number: return 9937-221\nProduct: Teams",
        "Order number: PO 4500018832\nProduct: Teams",
        "The invoice of 03/2024 and 01/15 are attached.",
        "Card expires 08/27.",
        "My order number is 8493461263.",
    ],
)
def test_order_numbers_and_dates_are_no_phones(default_analyzer, text):
    assert not typed(default_analyzer, text, "PHONE_NUMBER"), found(default_analyzer, text)


def test_an_ssn_after_ssn_words_stays_an_ssn(default_analyzer):
    text = "IBAN: DE89 3704 0044 0532 0130 00. social security no. 002-32-3972."
    assert covered(default_analyzer, text, "US_SSN", "002-32-3972"), found(default_analyzer, text)

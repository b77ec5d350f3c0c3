"""Phone numbers and street addresses that only their place tells apart: a phone right after an
e-mail address in a signature or bracket, after a signature label ("T:", "M:"), a
six-digit area group next to a phone word. Texts written for these tests."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("text, number", [
    ("Jane Roe\nOffice Manager\njane.roe@example.com | 797 723 514\n", "797 723 514"),
    ("—Hugo <hugo@example.org, 08885674478>", "08885674478"),
    ("Thanks,\nJanne (janne@example.net, 01375624238)", "01375624238"),
    ("Acme Logistics\nT: 02 54 89 10 57\n", "02 54 89 10 57"),
    ("Purchasing\nM: 06 42929543\n", "06 42929543"),
    ("Telephone: 097829 38944\nCompany: Fjord", "097829 38944"),
    ("Spoke with the customer on 044 964 45 00 about the refund.", "044 964 45 00"),
])
def test_a_national_number_is_found_by_its_place(redactor, text, number):
    out, counts, _ = redactor.redact_text(text)
    assert number not in out and counts.get("PHONE_NUMBER") == 1


@pytest.mark.parametrize("text", [
    "Order 4471 2208 shipped on 12.03.2024 (ticket 58213).",
    "jane.roe@example.com | version 10.0.22631",
    "Upgrade to 17.4.1, build 16C5032a, then restart.",
])
def test_numbers_that_are_not_phones_stay(redactor, text):
    out, counts, _ = redactor.redact_text(text)
    assert "PHONE_NUMBER" not in counts, out


@pytest.mark.parametrize("text, address", [
    ("Please ship the replacement to:\npl. Pułaskiego 43\n68-480 Toruń\n\nThanks", "pl. Pułaskiego 43\n68-480 Toruń"),
    ("Customer confirmed the new address: H.No. 709, Muni Marg, Raipur 858391. The iPhone won't start.",
     "H.No. 709, Muni Marg, Raipur 858391"),
    ("Send it to\nAyasteeg 8\n9473 YO\nGauw\n", "Ayasteeg 8\n9473 YO\nGauw"),
])
def test_an_address_after_an_address_cue_is_found_in_any_country_form(redactor, text, address):
    out, counts, _ = redactor.redact_text(text)
    assert address not in out and counts.get("STREET_ADDRESS") == 1
    assert not any(line in out for line in address.split("\n") if len(line) > 4)


@pytest.mark.parametrize("text", [
    "Please send it to me in 2 days, thanks.",
    "Send it to support@example.com please.",
    "Our address is on the invoice.",
])
def test_an_address_cue_without_an_address_takes_nothing(redactor, text):
    out, counts, _ = redactor.redact_text(text)
    assert "STREET_ADDRESS" not in counts, out

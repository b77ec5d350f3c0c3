"""Phone numbers in national format that only their place tells apart: right after an
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

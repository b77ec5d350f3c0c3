"""Names found by position and the name lexicons (Faker's given names and surnames), in
any case, with the words that are also English words left alone. Texts written for these
tests."""

from __future__ import annotations

import pytest

from curate.pii.lexicon import is_given_name, is_name_word
from curate.pii.recognizers.lexicon_names import LexiconNameRecognizer


def found(text: str) -> list[str]:
    return [text[r.start:r.end] for r in LexiconNameRecognizer().analyze(text, ["PERSON"])]


def test_the_lexicons_hold_names_of_many_countries_but_not_english_words():
    for name in ("ingmar", "Kalina", "Gillian", "Müferrih", "Atsushi", "Pereira", "Nowak"):
        assert is_name_word(name), name
    for word in ("will", "May", "mark", "best", "thanks", "support", "the", "ruby"):
        assert not is_name_word(word), word
    assert is_given_name("carl") and not is_given_name("Pereira")


@pytest.mark.parametrize("text, name", [
    ("thanks ingmar, that worked", "ingmar"),
    ("Thank you so much alfred for sorting this out", "alfred"),
    ("Cheers Dawid - much appreciated", "Dawid"),
    ("hi megan - the app crashes", "megan"),
    ("Hi there orinder,\n\nsorry about that", "orinder"),
    ("hey @acme its jelena again, still broken", "jelena"),
    ("DM'd you my email ~philippine", "philippine"),
    ("Fixed now.\n-carl", "carl"),
    ("Regards,\nraffaella\n\n-----Original Message-----", "raffaella"),
    ("Thanks for the fix.\n\n-- \nMILLA SAARINEN\nPractice Manager", "MILLA SAARINEN"),
    ("Contact person: sonja hermansen\nEmail: x", "sonja hermansen"),
    ("Please loop in Marcell, who manages our account.", "Marcell"),
    ("Handing over to leoš, who will follow up.", "leoš"),
    ("If it happens again, Lars will follow up tomorrow.", "Lars"),
    ("Sorry to hear that, Kristian.", "Kristian"),
    ("Sehr geehrte Frau Müller,", "Müller"),
    ("My colleague sarah reported the same thing.", "sarah"),
    ("It's Tullio's laptop that keeps failing.", "Tullio's"),
    ("The export is fixed.\n\nGillian", "Gillian"),
])
def test_a_name_in_a_telling_position_is_found_in_any_case(text, name):
    assert name in found(text)


@pytest.mark.parametrize("text", [
    "Will this be fixed by May? Mark the ticket as solved.",
    "I will see you in May. Best,",
    "Select the one that best suits you.",
    "It was taken by the courier.",
    "Steps:\n- Horizontal\n- Small\n- Large\n\nPick one.",
    "Issue with Dell XPS 13",
    "I moved from Berlin to Madrid last year.",
    "Certainly, I can assist you with that.",
    "Server Error Issue",
])
def test_words_that_are_also_names_stay_where_nothing_says_person(text):
    assert found(text) == []


def test_a_lower_case_name_survives_ner_dropping_its_own_copy(redactor):
    # NER finds "kyle" too (score .85) and its copy is dropped as implausible in lower case;
    # the rule's result (scored above NER's) is the one Presidio keeps
    out, counts, _ = redactor.redact_text("hi kyle, After the 17.4.1 update the Check for Updates option is greyed out.")
    assert out.startswith("hi <PERSON_1>,") and counts == {"PERSON": 1}


def test_a_name_found_once_is_replaced_everywhere_with_the_same_placeholder(redactor):
    text = "Thanks,\nIngmar Kowalczyk\n\nPS: ingmar is off on Friday, Ingmar will call you."
    out, counts, _ = redactor.redact_text(text)
    assert "Ingmar" not in out and "Kowalczyk" not in out
    assert out.count("<PERSON_1>") >= 2


def test_will_and_may_in_prose_stay(redactor):
    out, counts, _ = redactor.redact_text("Will the refund arrive by 1 May? We may need it before then.")
    assert out == "Will the refund arrive by 1 May? We may need it before then." and counts == {}

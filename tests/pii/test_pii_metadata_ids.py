"""Metadata and ids through the same analyzer and operators as the text: which metadata
texts are read (values at any depth, nested keys, not the kept fields or numbers), the key
a value is read with, replacements written back (keys renamed without clashing), ids
replaced by a keyed hash only when they hold personal data, and many records' short texts
analysed together without one record's values landing in another."""

from __future__ import annotations

import json

import pytest

from curate.pii.ids import PREFIX, UNKEYED, id_key, is_redacted, lookup, redacted_id
from curate.pii.metadata import MetaField, apply, meta_fields
from curate.pii.redactor import RecordIn

META = {
    "requester": "Maria Lopez <maria.lopez@example.org>",
    "priority": "high",
    "tags": ["vip", "ops@example.net"],
    "votes": {"jo.kim@example.com": 2, "team": {"lead": "Sam Patel"}},
    "count": 4155550132,
    "created_at": "2024-03-01T10:00:00Z",
}


def test_every_text_value_and_nested_key_is_a_field_less_the_kept_ones():
    fields = meta_fields(META, ["*"], ["priority", "created_at"])
    assert [(f.path, f.text, f.label, f.is_key) for f in fields] == [
        (("requester",), META["requester"], "requester", False),
        (("tags", 0), "vip", "tags", False),
        (("tags", 1), "ops@example.net", "tags", False),
        (("votes",), "jo.kim@example.com", "", True),
        (("votes",), "team", "", True),
        (("votes", "team"), "lead", "", True),
        (("votes", "team", "lead"), "Sam Patel", "lead", False),
    ]


def test_named_fields_and_kept_paths_below_them():
    fields = meta_fields(META, ["votes", "requester"], ["votes.team"])
    assert [f.text for f in fields] == ["jo.kim@example.com", META["requester"]]
    assert meta_fields(META, [], []) == [] and meta_fields("not an object", ["*"], []) == []


def test_new_texts_are_written_back_and_renamed_keys_never_clash():
    meta = {"votes": {"a@x.com": 1, "b@x.com": 2, "<EMAIL_ADDRESS>": 3}, "who": "a@x.com"}
    fields = meta_fields(meta, ["*"], [])
    new = apply(meta, [(f, "<EMAIL_ADDRESS>" if "@" in f.text else f.text) for f in fields])
    assert new == {"votes": {"<EMAIL_ADDRESS>~2": 1, "<EMAIL_ADDRESS>~3": 2, "<EMAIL_ADDRESS>": 3}, "who": "<EMAIL_ADDRESS>"}
    assert meta["who"] == "a@x.com"  # the input is not changed


def test_ids_are_hashed_with_the_salt_and_keep_their_source(monkeypatch):
    monkeypatch.delenv("CURATE_PII_SALT", raising=False)
    key, keyed = id_key("CURATE_PII_SALT")
    assert (key, keyed) == (UNKEYED, False)
    a = redacted_id("jsonl:t:jane.doe@example.com-17", "jsonl:t", key)
    assert a.startswith(f"jsonl:t:{PREFIX}") and len(a) == len("jsonl:t:") + len(PREFIX) + 20 and is_redacted(a, "jsonl:t")
    assert a == redacted_id("jsonl:t:jane.doe@example.com-17", "jsonl:t", key)  # stable
    monkeypatch.setenv("CURATE_PII_SALT", "a-salt-of-sixteen-chars")
    salted, keyed = id_key("CURATE_PII_SALT")
    assert keyed and redacted_id("jsonl:t:jane.doe@example.com-17", "jsonl:t", salted) != a
    # two ids sharing a part share nothing of their hashes
    b = redacted_id("jsonl:t:jane.doe@example.com-18", "jsonl:t", salted)
    assert b[len("jsonl:t:id-"):][:6] != redacted_id("jsonl:t:jane.doe@example.com-17", "jsonl:t", salted)[len("jsonl:t:id-"):][:6]
    assert redacted_id("x:y", None, salted).startswith(PREFIX)
    assert lookup("jsonl:t:jane.doe@example.com-17", ["csv:c", "jsonl:t"], "CURATE_PII_SALT") == [
        "jsonl:t:jane.doe@example.com-17", redacted_id("jsonl:t:jane.doe@example.com-17", "jsonl:t", salted)]


def test_an_id_is_replaced_only_when_it_holds_personal_data(redactor):
    recs = [
        RecordIn(None, [{"role": "user", "content": "The export is empty."}], id=i, source="jsonl:t")
        for i in ("jsonl:t:T-00017", "jsonl:t:jane.doe@example.com-17", "jsonl:t:+44 20 7946 0958", "jsonl:t:4711",
                  "jsonl:t:4111 1111 1111 1111")
    ]
    outs = redactor.redact(recs)
    assert [o.id_replaced for o in outs] == [False, True, True, False, True]
    assert outs[0].id == "jsonl:t:T-00017" and outs[1].id.startswith("jsonl:t:id-")
    # the id's values are not counted as replaced values of the record
    assert all(o.pii == {} for o in outs)


def test_a_value_is_read_with_its_key(redactor):
    """'415 555 0132' alone is a number; under a 'phone' key it is a phone number."""
    alone, under_key = redactor.redact([
        RecordIn(None, [{"role": "user", "content": "ok"}], {"ref": "415 555 0132"}),
        RecordIn(None, [{"role": "user", "content": "ok"}], {"phone": "415 555 0132"}),
    ])
    assert alone.meta == {"ref": "415 555 0132"}
    assert under_key.meta == {"phone": "<PHONE_NUMBER_1>"} and under_key.pii == {"PHONE_NUMBER": 1}


def test_metadata_is_numbered_with_the_text_and_numbers_are_left(redactor):
    out = redactor.redact([RecordIn(
        "Refund", [{"role": "user", "content": "Please write to maria.lopez@example.org.\n\nThanks,\nMaria Lopez"}], META,
    )])[0]
    assert out.messages[0]["content"] == "Please write to <EMAIL_ADDRESS_1>.\n\nThanks,\n<PERSON_1>"
    assert out.meta["requester"] == "<PERSON_1> <<EMAIL_ADDRESS_1>>"
    assert out.meta["tags"] == ["vip", "<EMAIL_ADDRESS_2>"]
    assert list(out.meta["votes"]) == ["<EMAIL_ADDRESS_3>", "team"] and out.meta["votes"]["team"] == {"lead": "<PERSON_2>"}
    assert out.meta["priority"] == "high" and out.meta["created_at"] == META["created_at"] and out.meta["count"] == 4155550132


def test_short_texts_of_many_records_stay_with_their_record(redactor):
    """Ids and one-line values of a batch are analysed together, one per line: each
    detection must come back to its own record and field, and a value in one record must
    not make another record's value a detection."""
    recs = []
    for i in range(60):
        meta = {"owner": f"agent{i}", "email": f"user{i}@example.com" if i % 3 == 0 else "none"}
        recs.append(RecordIn(None, [{"role": "user", "content": "ok"}], meta, id=f"s:{i}", source="s"))
    outs = redactor.redact(recs)
    for i, o in enumerate(outs):
        assert o.meta["email"] == ("<EMAIL_ADDRESS_1>" if i % 3 == 0 else "none"), i
        assert o.meta["owner"] == f"agent{i}" and o.id == f"s:{i}"
        assert o.pii == ({"EMAIL_ADDRESS": 1} if i % 3 == 0 else {}), i


def test_the_stage_keeps_the_date_dedupe_keeps_the_newest_copy_by():
    from curate.config import CurateConfig
    from curate.dedupe.config import DedupeConfig
    from curate.pii.config import RedactConfig
    from curate.pii.stage import RedactStage

    cfg = CurateConfig.model_construct(name="t", sources=[], redact=RedactConfig(),
                                       dedupe=DedupeConfig(keep="newest", newest_field="ticket.opened"))
    stage = RedactStage(cfg)
    assert stage.meta_keep() == ["priority", "status", "created_at", "updated_at", "ticket.opened"]
    assert stage.fingerprint()["meta_keep"] == stage.meta_keep()
    assert RedactStage(CurateConfig.model_construct(name="t", sources=[], redact=RedactConfig(),
                                                    dedupe=DedupeConfig())).meta_keep() == RedactConfig().meta_keep


@pytest.mark.parametrize("bad", ["", "a..b", ".a"])
def test_meta_paths_are_checked(bad):
    from curate.pii.config import RedactConfig

    with pytest.raises(ValueError):
        RedactConfig(meta_keep=[bad])


def test_metafield_is_plain_data():
    f = MetaField(("a",), "x", "a")
    assert json.dumps(f.path) == '["a"]' and not f.is_key

"""A JSON document holding an array of objects (ABCD's dialogues, API dumps) read one
element at a time, each under max_record_bytes; conversations given as [speaker, text]
pairs or {speaker, text} objects; a ticket's subject put into the user turn. The
dialogues here are synthetic, in the shape of ABCD (Chen et al., 2021)."""

from __future__ import annotations

import json

from file_ingest import ingest

DIALOGUES = [
    {"convo_id": 101, "scenario": {"flow": "product_defect", "subflow": "return_size"},
     "original": [["agent", "Hi! How can I help?"], ["customer", "I need to return jeans that are too small."],
                  ["action", "Account has been pulled up for Sam Lee."], ["agent", "Done: a return label is on its way."]],
     "delexed": [{"speaker": "agent", "text": "hi! how can i help?", "turn_count": 1},
                 {"speaker": "customer", "text": "i need to return jeans.", "turn_count": 2}]},
    {"convo_id": 102, "scenario": {"flow": "shipping_issue", "subflow": "status"},
     "original": [["customer", "Where is my order?"], ["agent", "It arrives on Friday."]],
     "delexed": [{"speaker": "customer", "text": "where is my order?", "turn_count": 1}]},
]


def test_a_json_array_of_dialogues_with_speaker_text_pairs(tmp_path):
    doc = json.dumps(DIALOGUES, indent=2)
    # a broken element between the good ones is one reject; the rest are read
    doc = doc[:-2] + ',\n  {"convo_id": 103, "original": [["customer", "hi"]],, }\n]'
    (tmp_path / "abcd_sample.json").write_text(doc)
    src = {"type": "jsonl", "name": "abcd", "path": "abcd_sample.json", "kind": "chat", "roles": {"action": "system"},
           "fields": {"id": "convo_id", "messages": "original", "meta": ["scenario.flow", "scenario.subflow"]}}
    records, rejects, entry = ingest(tmp_path, src)
    assert [r["id"] for r in records] == ["jsonl:abcd:101", "jsonl:abcd:102"]
    # read as agent, customer, action, agent; ingest's turn normalisation then drops the
    # agent's greeting before the customer and the action turn inside the conversation
    assert [m["role"] for m in records[0]["messages"]] == ["user", "assistant"]
    assert sorted(records[0]["turn_fixes"]) == ["dropped_leading_assistant", "dropped_system_turn"]
    assert records[0]["meta"] == {"scenario.flow": "product_defect", "scenario.subflow": "return_size"}
    assert records[0]["locator"] == "abcd_sample.json#1"
    assert [(r["locator"], r["reason"].split(":")[0]) for r in rejects] == [("abcd_sample.json#3", "invalid JSON")]
    assert entry["stats"]["sources"]["jsonl:abcd"]["rows"] == 3
    # ABCD's delexicalised turns are {speaker, text} objects
    records, _, _ = ingest(tmp_path, {**src, "fields": {"id": "convo_id", "messages": "delexed"}})
    assert records[1]["messages"] == [{"role": "user", "content": "where is my order?"}]


def test_a_json_array_element_over_the_limit_is_read_past_and_a_cut_file_is_reported(tmp_path):
    items = [{"q": "first question", "a": "first answer"}, {"q": "x" * 5000, "a": "too long"},
             {"q": "third question", "a": "third answer"}]
    text = json.dumps(items)
    (tmp_path / "qa.json").write_text(text[: text.rindex("{")] + '{"q": "cut')  # the file ends inside element 3
    records, rejects, _ = ingest(tmp_path, {"type": "jsonl", "path": "qa.json", "max_record_bytes": 1024,
                                            "fields": {"user": "q", "assistant": "a"}})
    assert [r["id"] for r in records] == ["jsonl:qa:1"]
    size = len(json.dumps(items[1])) + 1  # with the space after the comma
    assert [(r["locator"], r["reason"]) for r in rejects] == [
        ("qa.json#2", f"element of {size:,} bytes, over the limit of 1,024 (max_record_bytes)"),
        ("qa.json#3", "the file ends inside this element (cut short?)"),
    ]


def test_a_json_array_that_is_not_closed_or_has_trailing_content(tmp_path):
    (tmp_path / "a.json").write_text('[{"q": "one"},\n{"q": "two"}\n] and more')
    (tmp_path / "b.json").write_text('\ufeff  [{"q": "three"},\n')
    records, rejects, _ = ingest(tmp_path, {"type": "jsonl", "name": "qa", "path": "*.json", "fields": {"user": "q"}})
    assert [r["messages"][0]["content"] for r in records] == ["one", "two", "three"]
    assert [(r["locator"], r["reason"]) for r in rejects] == [
        ("a.json", "content after the JSON array, not read"),
        ("b.json", "the JSON array is not closed (the file may be cut short)"),
    ]


def test_subject_in_user_turn(tmp_path):
    (tmp_path / "t.csv").write_text(
        "id,subject,body,reply\n"
        "1,Refund for order 4411?,See above. It arrived broken.,Refunded.\n"
        "2,Login fails,Login fails since the update.,Clear the cache.\n"
        "3,,No subject here.,Noted.\n")
    src = {"type": "csv", "path": "t.csv", "subject_in_user_turn": True,
           "fields": {"id": "id", "title": "subject", "user": "body", "assistant": "reply"}}
    records, _, _ = ingest(tmp_path, src)
    assert [r["messages"][0]["content"] for r in records] == [
        "Refund for order 4411?\n\nSee above. It arrived broken.",
        "Login fails since the update.",  # the message already starts with it
        "No subject here.",
    ]
    assert records[0]["title"] == "Refund for order 4411?"
    records, _, _ = ingest(tmp_path, {**src, "subject_in_user_turn": False})
    assert records[0]["messages"][0]["content"] == "See above. It arrived broken."

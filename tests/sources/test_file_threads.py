"""Rows that are turns (tweets, chat messages) grouped into conversations by a file
source's thread mapping: by reply links (`in_reply_to`) or by a conversation column
(`thread_by`), roles from an inbound flag or a speaker column, turns ordered by a time.
The data here is synthetic, in the shape of Twitter customer-support threads (TWCS) and of
a chat log."""

from __future__ import annotations

import csv
import io

import pytest
from file_ingest import ingest

TWCS_COLUMNS = ["tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id", "in_response_to_tweet_id"]
# written out of order, with reply ids as pandas writes them (floats), Twitter's time format
TWCS_ROWS = [
    ["4", "AcmeHelp", "False", "Tue Oct 31 22:31:02 +0000 2017", "@100 Sorry! A new one ships today.", "", "3.0"],
    ["1", "100", "True", "Tue Oct 31 22:10:47 +0000 2017", "@AcmeHelp my kettle arrived broken", "2", ""],
    ["2", "AcmeHelp", "False", "Tue Oct 31 22:14:00 +0000 2017", "@100 Sorry to hear that, can you DM us the order number?", "3", "1.0"],
    ["3", "100", "True", "Tue Oct 31 22:20:15 +0000 2017", "@AcmeHelp sent it", "4", "2.0"],
    # two strangers answer the same company post, which the file does not hold
    ["10", "200", "True", "Wed Nov 01 09:00:00 +0000 2017", "@AcmeHelp love the new app", "", "9.0"],
    ["11", "300", "True", "Wed Nov 01 09:05:00 +0000 2017", "@AcmeHelp the app logs me out", "12", "9.0"],
    ["12", "AcmeHelp", "False", "Wed Nov 01 09:20:00 +0000 2017", "@300 Which version do you run?", "", "11"],
    # a reply loop (broken data) is one thread, not a hang
    ["20", "400", "True", "Thu Nov 02 10:00:00 +0000 2017", "@AcmeHelp loop one", "21", "21"],
    ["21", "AcmeHelp", "False", "Thu Nov 02 10:01:00 +0000 2017", "@400 loop two", "20", "20"],
    # rows that cannot be turns
    ["30", "500", "maybe", "Thu Nov 02 11:00:00 +0000 2017", "@AcmeHelp flag unreadable", "", ""],
    ["31", "500", "True", "yesterday-ish", "@AcmeHelp time unreadable", "", ""],
    ["3", "100", "True", "Tue Oct 31 22:25:00 +0000 2017", "@AcmeHelp a second row with id 3", "", ""],
]
TWCS_FIELDS = {"id": "tweet_id", "text": "text", "in_reply_to": "in_response_to_tweet_id",
               "inbound": "inbound", "order_by": "created_at", "meta": ["author_id"]}


def write_csv(path, columns, rows):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(columns)
    w.writerows(rows)
    path.write_text(buf.getvalue())


def test_tweets_linked_by_replies_become_conversations_in_time_order(tmp_path):
    write_csv(tmp_path / "twcs.csv", TWCS_COLUMNS, TWCS_ROWS)
    records, rejects, entry = ingest(tmp_path, {"type": "csv", "path": "twcs.csv", "kind": "chat", "fields": TWCS_FIELDS})
    got = {r["id"]: [(m["role"], m["content"].split()[1]) for m in r["messages"]] for r in records}
    assert got == {
        "csv:twcs:1": [("user", "my"), ("assistant", "Sorry"), ("user", "sent"), ("assistant", "Sorry!")],
        "csv:twcs:10": [("user", "love")],
        "csv:twcs:11": [("user", "the"), ("assistant", "Which")],
        "csv:twcs:20": [("user", "loop"), ("assistant", "loop")],
    }
    first = records[0]
    assert first["locator"] == "twcs.csv:3"  # the thread's first tweet
    assert first["meta"] == {"author_id": "100", "thread_rows": 4}
    assert first["kind"] == "chat"
    assert {r["locator"]: r["reason"] for r in rejects} == {
        "twcs.csv:11": "column 'inbound' is neither true nor false",
        "twcs.csv:12": "column 'created_at' holds no time or number to order the thread by",
        "twcs.csv:13": "duplicate row id (first at twcs.csv:5): replies could not tell the rows apart",
    }
    # every row is a turn of a record or a reject; ingest's inputs are threads and rejects
    assert entry["records_in"] == 4 + 3 and entry["records_out"] == 4
    assert entry["stats"]["sources"]["csv:twcs"]["rows"] == len(TWCS_ROWS)
    assert sum(r["meta"]["thread_rows"] for r in records) + len(rejects) == len(TWCS_ROWS)
    assert "kettle" not in str(rejects) and "loop" not in str(rejects)


def test_thread_ids_are_stable_and_the_same_rows_in_another_order_give_the_same_records(tmp_path):
    write_csv(tmp_path / "twcs.csv", TWCS_COLUMNS, TWCS_ROWS[:7])
    a, _, _ = ingest(tmp_path, {"type": "csv", "path": "twcs.csv", "fields": TWCS_FIELDS})
    write_csv(tmp_path / "twcs.csv", TWCS_COLUMNS, list(reversed(TWCS_ROWS[:7])))
    b, _, _ = ingest(tmp_path, {"type": "csv", "path": "twcs.csv", "fields": TWCS_FIELDS})
    assert sorted((r["id"], r["text"]) for r in a) == sorted((r["id"], r["text"]) for r in b)


CHAT_COLUMNS = ["conversation", "seq", "speaker", "message", "channel"]


def test_a_chat_log_split_over_files_is_grouped_by_its_conversation_column(tmp_path):
    (tmp_path / "logs").mkdir()
    write_csv(tmp_path / "logs/day1.csv", CHAT_COLUMNS, [
        ["c-1", "1", "Customer", "Hi, my invoice is wrong", "web"],
        ["c-2", "1", "customer", "Can I change my plan?", "app"],
        ["c-1", "2", "Bot", "I can help with invoices.", "web"],
        ["c-2", "2", "Agent", "Yes, under Settings.", "app"],
    ])
    write_csv(tmp_path / "logs/day2.csv", CHAT_COLUMNS, [
        ["c-1", "4", "Supervisor", "I have corrected it.", "web"],
        ["c-1", "3", "Customer", "It lists two licences.", "web"],
        ["", "1", "Customer", "a row without a conversation", "web"],
    ])
    src = {"type": "csv", "name": "chat", "path": "logs/*.csv",
           "fields": {"thread_by": "conversation", "role": "speaker", "text": "message", "order_by": "seq",
                      "meta": ["channel"]}}
    records, rejects, _ = ingest(tmp_path, src)
    assert [r["reason"] for r in rejects] == [
        "column 'speaker': a role that is not user, assistant or system (map it under `roles:`)",
        "no thread in column 'conversation'",
    ]
    assert "Supervisor" not in str(rejects)  # a speaker column may hold people's names
    # extra role names are compared without case
    records, rejects, _ = ingest(tmp_path, {**src, "roles": {"SUPERVISOR": "assistant"}})
    assert [r["id"] for r in records] == ["csv:chat:c-1", "csv:chat:c-2"]
    assert [(m["role"], m["content"]) for m in records[0]["messages"]] == [
        ("user", "Hi, my invoice is wrong"), ("assistant", "I can help with invoices."),
        ("user", "It lists two licences."), ("assistant", "I have corrected it.")]
    assert records[0]["meta"] == {"channel": "web", "thread_rows": 4}
    assert records[0]["locator"] == "logs/day1.csv:2"
    assert len(rejects) == 1


def test_without_order_by_turns_keep_the_files_order_and_rows_may_hold_both_turns(tmp_path):
    (tmp_path / "t.jsonl").write_text(
        '{"session": "s1", "q": "Is the store open on Sunday?", "a": "From 10 to 4."}\n'
        '{"session": "s2", "q": "Do you ship abroad?", "a": "Within the EU."}\n'
        '{"session": "s1", "q": "And on holidays?", "a": "Closed."}\n')
    records, rejects, _ = ingest(tmp_path, {"type": "jsonl", "path": "t.jsonl",
                                            "fields": {"thread_by": "session", "user": "q", "assistant": "a"}})
    assert [(r["id"], len(r["messages"])) for r in records] == [("jsonl:t:s1", 4), ("jsonl:t:s2", 2)] and not rejects
    assert records[0]["messages"][2]["content"] == "And on holidays?"


def test_a_thread_over_max_record_bytes_is_one_reject_and_the_others_are_read(tmp_path):
    rows = [["big", str(i), "customer", "x" * 600, "web"] for i in range(3)] + [["small", "1", "customer", "hello", "web"]]
    write_csv(tmp_path / "chat.csv", CHAT_COLUMNS, rows)
    records, rejects, _ = ingest(tmp_path, {"type": "csv", "path": "chat.csv", "max_record_bytes": 1024,
                                            "fields": {"thread_by": "conversation", "role": "speaker", "text": "message"}})
    assert [r["id"] for r in records] == ["csv:chat:small"]
    assert len(rejects) == 1 and rejects[0]["locator"] == "chat.csv:2"
    assert rejects[0]["reason"].startswith("thread of ") and rejects[0]["reason"].endswith(
        "bytes, over the limit of 1,024 (max_record_bytes) (3 rows)")


@pytest.mark.parametrize("fields, problem", [
    ({"text": "t", "role": "r"}, "role orders or assigns the turns of a thread: name thread_by or in_reply_to too"),
    ({"text": "t", "in_reply_to": "p"}, "in_reply_to names the id of the row answered: map the rows' ids with id"),
    ({"user": "t", "thread_by": "c", "inbound": "i"}, "role and inbound give the role of the row's `text` turn"),
    ({"text": "t", "thread_by": "c", "role": "r", "inbound": "i"}, "give the turn's role by role or by inbound, not both"),
])
def test_thread_settings_that_cannot_work_are_config_errors(tmp_path, fields, problem):
    from curate.errors import ConfigError

    write_csv(tmp_path / "x.csv", ["t", "r", "p", "c", "i"], [["a", "b", "c", "d", "e"]])
    with pytest.raises(ConfigError, match="sources\\[0\\]\\.fields: " + problem.replace("`", ".").replace("(", ".").replace(")", ".")):
        ingest(tmp_path, {"type": "csv", "path": "x.csv", "fields": fields})


def test_rows_with_lone_surrogates_in_text_and_ids_lose_no_row_around_them(tmp_path):
    # JSON may escape half a UTF-16 pair ("\ud800"): such ids and text survive the rows'
    # wait on disk (SQLite stores no such text), and no row around them is lost
    lines = ['{"id": "a\\ud800", "parent": null, "who": "customer", "t": "my order is late"}',
             '{"id": "b", "parent": "a\\ud800", "who": "agent", "t": "sorry"}',
             '{"id": "c", "parent": null, "who": "customer", "t": "broken \\udc00 text"}']
    lines += [f'{{"id": "r{i}", "parent": null, "who": "customer", "t": "row {i}"}}' for i in range(3000)]
    (tmp_path / "t.jsonl").write_text("\n".join(lines) + "\n")
    records, rejects, entry = ingest(tmp_path, {"type": "jsonl", "path": "t.jsonl", "fields": {
        "id": "id", "in_reply_to": "parent", "role": "who", "text": "t"}})
    assert len(records) == 3001 and entry["records_in"] == 3002
    assert records[0]["id"] == "jsonl:t:a\\ud800"  # stored escaped, as every id
    assert [m["role"] for m in records[0]["messages"]] == ["user", "assistant"]
    # text that is not valid Unicode is a reject, as it is for a single row
    assert rejects == [{"stage": "ingest", "status": "rejected", "source": "jsonl:t", "locator": "t.jsonl:3",
                        "reason": "message 0 is not valid Unicode (a lone surrogate at character 7) (thread of 1 row)"}]

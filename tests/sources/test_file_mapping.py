"""Config mistakes in a file source are caught once, when the config or the file's header
is read, not as a reject for every row: a mapped column the file lacks, an unknown
encoding, two sources whose records would share ids; an encoding that looks wrong is one
warning with counts; a Parquet binary column is text, never "b'...'"."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from file_ingest import ingest
from helpers import run_cli, write_config

from curate.config import load_config
from curate.errors import ConfigError

TICKETS = [
    ("1", "Drucker druckt nicht", "Mein Drucker zeigt Fehler 0x12. Grüße, Jürgen", "Bitte den Treiber neu installieren."),
    ("2", "Facture en double", "J'ai été facturé deux fois ce mois-ci.", "Nous avons remboursé la différence."),
    ("3", "Password reset", "The reset link has expired.", "Here is a new one."),
    ("4", "Envío retrasado", "Mi pedido no llegó, ¿qué pasó?", "Lo enviamos de nuevo mañana."),
]


def write_tickets(path: Path, encoding: str = "utf-8") -> None:
    lines = ["id,subject,body,answer"] + [",".join(f'"{v}"' for v in row) for row in TICKETS]
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))


def test_a_column_the_csv_lacks_is_one_config_error_naming_the_config_line_and_the_file(tmp_path):
    write_tickets(tmp_path / "tickets.csv")
    write_config(tmp_path / "curate.yaml", {"name": "t", "sources": [
        {"type": "csv", "path": "tickets.csv", "fields": {"id": "id", "user": "Body", "assistant": "answer"}}]})
    r = run_cli("ingest", "curate.yaml", "-o", "out.jsonl", "-q", cwd=tmp_path)
    assert r.returncode == 2
    err = r.stderr.strip()
    assert err == ("error: curate.yaml:7: sources[0].fields.user: no column 'Body' in tickets.csv "
                   "(did you mean 'body'?)"), err
    assert "Traceback" not in r.stderr and not (tmp_path / "out.jsonl").exists()


def test_a_meta_column_the_csv_lacks_is_a_config_error_too(tmp_path):
    write_tickets(tmp_path / "tickets.csv")
    with pytest.raises(ConfigError) as exc:
        ingest(tmp_path, {"type": "csv", "path": "tickets.csv",
                          "fields": {"id": "id", "user": "body", "meta": ["subject", "queue"]}})
    assert exc.value.exit_code == 2
    assert exc.value.message.endswith("sources[0].fields.meta[1]: no column 'queue' in tickets.csv")
    assert ":10: " in exc.value.message  # the line of the meta list's second item


def test_json_keys_are_looked_for_in_the_first_objects_not_only_the_first(tmp_path):
    rows = [{"q": "Where is my parcel?"}, {"q": "Refund please", "a": "Done."}, {"q": "Hi", "a": "Hello", "tag": "x"}]
    (tmp_path / "t.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    # "a" is missing from the first object only, and meta keys may be sparse: no error
    records, rejects, _ = ingest(tmp_path, {"type": "jsonl", "path": "t.jsonl",
                                            "fields": {"user": "q", "assistant": "a", "meta": ["lang"]}})
    assert len(records) == 3 and rejects == []
    # a key none of the objects has is a config error, not three rejects
    with pytest.raises(ConfigError) as exc:
        ingest(tmp_path, {"type": "jsonl", "path": "t.jsonl", "fields": {"user": "question", "assistant": "a"}})
    assert exc.value.message.endswith(
        "sources[0].fields.user: no key 'question' in the first 3 objects of t.jsonl")


def test_a_parquet_column_that_is_not_there_is_a_config_error(tmp_path):
    pl.DataFrame({"conv": ["c1"], "turns": [[{"role": "user", "content": "hi"}]],
                  "info": [{"lang": "en"}]}).write_parquet(tmp_path / "c.parquet")
    records, _, _ = ingest(tmp_path, {"type": "parquet", "path": "c.parquet",
                                      "fields": {"id": "conv", "messages": "turns", "meta": ["info.lang"]}})
    assert records[0]["meta"] == {"info.lang": "en"}  # a dotted name reaches into a struct column
    with pytest.raises(ConfigError, match=r"sources\[0\]\.fields\.id: no column 'conversation' in c\.parquet$"):
        ingest(tmp_path, {"type": "parquet", "path": "c.parquet", "fields": {"id": "conversation", "messages": "turns"}})


@pytest.mark.parametrize("encoding, problem", [
    ("latin-9x", "unknown encoding 'latin-9x'"),
    ("rot13", "'rot13' is not a text encoding"),
])
def test_an_unknown_encoding_is_refused_when_the_config_is_read(tmp_path, encoding, problem):
    write_tickets(tmp_path / "tickets.csv")
    cfg = write_config(tmp_path / "curate.yaml", {"name": "t", "sources": [
        {"type": "csv", "path": "tickets.csv", "encoding": encoding, "fields": {"user": "body"}}]})
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert exc.value.exit_code == 2
    assert exc.value.message.startswith(f"{cfg}:5: sources[0].encoding: {problem}")


def test_utf8_declared_latin1_is_one_warning_with_counts(tmp_path):
    write_tickets(tmp_path / "tickets.csv")  # UTF-8
    records, rejects, entry = ingest(tmp_path, {"type": "csv", "path": "tickets.csv", "encoding": "latin-1",
                                                "fields": {"id": "id", "user": "body", "assistant": "answer"}})
    assert len(records) == 4 and not rejects  # every row decodes, into mojibake
    assert "Ã¼" in records[0]["messages"][0]["content"]
    expected = ("3 of 4 rows look like UTF-8 read as latin-1 (mojibake such as 'Ã©' for 'é'); "
                "set `encoding: utf-8`")
    assert entry["stats"]["sources"]["csv:tickets"]["warnings"] == [expected]
    assert entry["stats"]["warnings"] == [f"csv:tickets: {expected}"]


def test_cp1252_read_as_utf8_names_the_encoding_to_set(tmp_path):
    write_tickets(tmp_path / "tickets.csv", "cp1252")
    records, rejects, entry = ingest(tmp_path, {"type": "csv", "path": "tickets.csv",
                                                "fields": {"id": "id", "user": "body", "assistant": "answer"}})
    assert [r["id"] for r in records] == ["csv:tickets:3"]
    assert [r["reason"] for r in rejects] == ["invalid utf-8 in this row"] * 3
    assert entry["stats"]["warnings"] == [
        "csv:tickets: 3 of 4 rows are not valid utf-8 and were rejected; they look like cp1252: set `encoding: cp1252`"]
    # and with the encoding it names, every row reads, with no warning
    records, rejects, entry = ingest(tmp_path, {"type": "csv", "path": "tickets.csv", "encoding": "cp1252",
                                                "fields": {"id": "id", "user": "body", "assistant": "answer"}})
    assert len(records) == 4 and "Grüße, Jürgen" in records[0]["messages"][0]["content"]
    assert "warnings" not in entry["stats"]


def test_jsonl_declared_latin1_warns_too(tmp_path):
    (tmp_path / "t.jsonl").write_text("".join(json.dumps({"b": row[2]}, ensure_ascii=False) + "\n" for row in TICKETS))
    _, _, entry = ingest(tmp_path, {"type": "jsonl", "path": "t.jsonl", "encoding": "cp1252", "fields": {"user": "b"}})
    assert entry["stats"]["warnings"] == [("jsonl:t: 3 of 4 rows look like UTF-8 read as cp1252 "
                                           "(mojibake such as 'Ã©' for 'é'); set `encoding: utf-8`")]


def test_two_sources_whose_files_share_a_stem_are_refused_with_what_to_write(tmp_path):
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
        write_tickets(tmp_path / d / "tickets.csv")
    def src(**kw):
        return {"type": "csv", "fields": {"id": "id", "user": "body", "assistant": "answer"}, **kw}

    cfg = write_config(tmp_path / "curate.yaml", {"name": "t", "sources": [src(path="a/tickets.csv"), src(path="b/tickets.csv")]})
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert exc.value.message == (
        f"{cfg}:9: sources[1].name: sources[0] and sources[1] are both csv sources named after their files "
        "'tickets', so their record ids would collide; give each a distinct `name:`")
    # named apart, both are read in full, and the first keeps the ids it always had
    records, rejects, _ = ingest(tmp_path, src(path="a/tickets.csv"), src(path="b/tickets.csv", name="tickets-b"))
    assert len(records) == 8 and not rejects
    assert records[0]["id"] == "csv:tickets:1" and records[4]["id"] == "csv:tickets-b:1"
    # another type, or a disabled twin, is no collision
    load_config(write_config(tmp_path / "c2.yaml", {"name": "t", "sources": [
        src(path="a/tickets.csv"), src(path="b/tickets.csv", enabled=False)]}))
    load_config(write_config(tmp_path / "c3.yaml", {"name": "t", "sources": [
        src(path="a/tickets.csv"), {"type": "jsonl", "path": "b/tickets.csv", "fields": {"user": "body"}}]}))


def test_parquet_binary_columns_are_text_or_a_reject_naming_the_column(tmp_path):
    table = pa.table({
        "id": pa.array([b"t1", b"t2", b"t3"], pa.binary()),
        "body": pa.array(["Grüße".encode(), "café".encode("utf-16"), b"\xff\x00\x81bad"], pa.binary()),
        "tag": pa.array([b"billing", b"shipping", b"other"], pa.binary()),
    })
    pq.write_table(table, tmp_path / "b.parquet")
    records, rejects, _ = ingest(tmp_path, {"type": "parquet", "path": "b.parquet",
                                            "fields": {"id": "id", "user": "body", "meta": ["tag"]}})
    assert [(r["id"], r["messages"][0]["content"], r["meta"]) for r in records] == [
        ("parquet:b:t1", "Grüße", {"tag": "billing"}),
        ("parquet:b:t2", "café", {"tag": "shipping"}),  # a UTF-16 byte-order mark says how to read it
    ]
    assert rejects == [{"stage": "ingest", "status": "rejected", "source": "parquet:b", "locator": "b.parquet#3",
                        "reason": "user holds bytes that are not UTF-8 text (a binary column)"}]


def test_a_metadata_column_some_files_of_a_folder_lack_is_no_mistake(tmp_path):
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports/2023-01.csv").write_text("id,body\n1,Where is my order?\n")
    (tmp_path / "exports/2023-02.csv").write_text("id,body,queue\n2,Refund please,billing\n")
    src = {"type": "csv", "name": "exports", "path": "exports", "fields": {"id": "id", "user": "body", "meta": ["queue"]}}
    records, rejects, _ = ingest(tmp_path, src)
    assert [r["meta"] for r in records] == [{"queue": None}, {"queue": "billing"}] and not rejects
    # a column no file has is still a mistake, and so is a message column one file lacks
    with pytest.raises(ConfigError, match=r"fields\.meta\[0\]: no column 'queues' in exports/2023-01\.csv"):
        ingest(tmp_path, {**src, "fields": {"id": "id", "user": "body", "meta": ["queues"]}})
    with pytest.raises(ConfigError, match=r"fields\.assistant: no column 'queue' in exports/2023-01\.csv"):
        ingest(tmp_path, {**src, "fields": {"id": "id", "user": "body", "assistant": "queue"}})

"""Exact and near duplicates end to end over record batches: groups, kinds, the keep
policies, the chaining rule, streaming, verification."""

from __future__ import annotations

import json
import math

import polars as pl
import pytest

from curate.dedupe.config import DedupeConfig
from curate.dedupe.finder import find_duplicates
from curate.dedupe.policy import parse_time
from curate.records import meta_json_path as json_path
from curate.records import RECORD_SCHEMA, make_record

TICKET = (
    "Hello, I ordered a standing desk last Tuesday (order 55120) and the delivery window on the "
    "tracking page keeps moving. First it said Thursday, then Saturday, and now it says next week. "
    "Could you tell me when it will actually arrive and whether I can pick it up from the warehouse "
    "instead? I need it before I start working from home on Monday."
)
OTHER = (
    "My invoice for March lists two charges for the same subscription. I only have one account "
    "and one seat, so one of the charges must be a mistake. Please refund the second charge and "
    "confirm by email once it is done, thank you."
)


def near_copy(text: str, swaps: dict[str, str]) -> str:
    for a, b in swaps.items():
        assert a in text
        text = text.replace(a, b, 1)
    return text


def run(records: list[dict], batch_size: int = 1000, **cfg) -> pl.DataFrame:
    df = pl.DataFrame(records)
    if "text" not in df.columns:
        df = df.with_columns(pl.lit("").alias("text"))
    conf = DedupeConfig(batch_size=batch_size, **cfg)
    res = find_duplicates(df, conf, total=df.height)
    out = res.frame
    assert out["id"].to_list() == df["id"].to_list()
    return out


def by_id(out: pl.DataFrame) -> dict[str, dict]:
    return {r["id"]: r for r in out.iter_rows(named=True)}


def test_exact_duplicates_after_normalisation() -> None:
    rows = [
        {"id": "a", "text": TICKET},
        {"id": "b", "text": "  " + TICKET.replace(" ", "  \n", 3) + "\t"},  # whitespace only
        {"id": "c", "text": TICKET.replace("Hello", "Ｈｅｌｌｏ")},  # NFKC: full-width letters
        {"id": "d", "text": TICKET.upper()},  # case differs: not exact unless casefold
        {"id": "e", "text": OTHER},
    ]
    out = by_id(run(rows, keep="first", near=False))
    assert [out[i]["drop_reason"] for i in "abcde"] == [None, "exact_duplicate", "exact_duplicate", None, None]
    assert out["b"]["dup_of"] == "a" and out["b"]["dup_similarity"] == 1.0
    assert out["a"]["dup_group"] == out["b"]["dup_group"] == out["c"]["dup_group"] == "a"
    assert out["a"]["dup_kind"] == "exact" and out["a"]["is_representative"]
    assert out["d"]["dup_group"] == "d" and out["d"]["dup_kind"] is None
    assert out["a"]["dup_group_size"] == 3 and out["e"]["dup_group_size"] == 1

    out = by_id(run(rows, keep="first", near=False, casefold=True))
    assert out["d"]["drop_reason"] == "exact_duplicate" and out["d"]["dup_of"] == "a"


def test_near_duplicates() -> None:
    rows = [
        {"id": "t1", "text": TICKET},
        {"id": "t2", "text": near_copy(TICKET, {"Tuesday": "Wednesday"})},
        {"id": "t3", "text": near_copy(TICKET, {"standing desk": "office chair", "Monday": "Friday"})},
        {"id": "o1", "text": OTHER},
        {"id": "o2", "text": OTHER + " Best regards, Sam"},
    ]
    out = by_id(run(rows, keep="first", threshold=0.7))
    assert out["t1"]["drop_reason"] is None and out["t1"]["is_representative"]
    for i in ("t2", "t3"):
        assert out[i]["drop_reason"] == "near_duplicate"
        assert out[i]["dup_kind"] == "near"
        assert out[i]["dup_group"] == "t1" and out[i]["dup_of"] == "t1"
        assert 0.7 <= out[i]["dup_similarity"] < 1.0
    assert out["o2"]["drop_reason"] == "near_duplicate" and out["o2"]["dup_of"] == "o1"
    assert out["o1"]["dup_group"] == "o1" and out["o1"]["dup_kind"] == "near"
    # at 0.8 the copy with three changed words (true Jaccard 0.79) is kept, the one with
    # one changed word (0.84) is not
    out = by_id(run(rows, keep="first", threshold=0.8))
    assert out["t2"]["drop_reason"] == "near_duplicate"
    assert out["t3"]["drop_reason"] is None


def test_exact_copies_of_a_near_duplicate_are_near_duplicates() -> None:
    """Copies of a dropped record are not copies of a kept one: they are near duplicates of
    the record kept in its place."""
    t2 = near_copy(TICKET, {"Tuesday": "Wednesday"})
    rows = [{"id": "a", "text": TICKET}, {"id": "b", "text": t2}, {"id": "c", "text": t2}]
    out = by_id(run(rows, keep="first"))
    assert out["b"]["drop_reason"] == "near_duplicate" and out["c"]["drop_reason"] == "near_duplicate"
    assert out["b"]["dup_of"] == out["c"]["dup_of"] == "a"
    assert {r["dup_group"] for r in out.values()} == {"a"}


def test_chain_keeps_records_not_like_a_kept_one() -> None:
    """A~B and B~C but A not like C: with A kept, B is dropped and C is kept, in one group."""
    words = [f"w{i}" for i in range(100)]
    a = words
    b = words[10:] + [f"x{i}" for i in range(10)]  # J(a, b) = 90/110 = 0.82
    c = words[20:] + [f"x{i}" for i in range(10)] + [f"y{i}" for i in range(10)]  # J(b, c) = 0.82, J(a, c) = 0.67
    rows = [{"id": "A", "text": " ".join(a)}, {"id": "B", "text": " ".join(b)}, {"id": "C", "text": " ".join(c)}]
    out = by_id(run(rows, keep="first", ngram=1, threshold=0.75))
    assert [out[i]["drop_reason"] for i in "ABC"] == [None, "near_duplicate", None]
    assert out["B"]["dup_of"] == "A"
    assert {out[i]["dup_group"] for i in "ABC"} == {"A"}
    assert out["C"]["is_representative"] and out["C"]["dup_kind"] == "near"
    assert out["B"]["dup_similarity"] == pytest.approx(90 / 110, abs=1e-6)  # exact, near the threshold
    # keep B first (newest): both A and C are like B, so both go
    for r, t in zip(rows, ["2024-01-01", "2024-03-01", "2024-02-01"]):
        r["meta"] = json.dumps({"created_at": t})
    out = by_id(run(rows, keep="newest", ngram=1, threshold=0.75))
    assert [out[i]["drop_reason"] for i in "ABC"] == ["near_duplicate", None, "near_duplicate"]
    assert {out[i]["dup_group"] for i in "ABC"} == {"B"}


def _variants() -> list[dict]:
    """Four near copies of one ticket with different lengths, turns, dates and order."""
    short = near_copy(TICKET, {"Hello, ": ""})
    long_ = TICKET + " Thanks!"
    recs = [
        make_record(source="t", native_id="1", kind="ticket", messages=[{"role": "user", "content": TICKET}],
                    meta={"created_at": "2024-05-01T10:00:00Z"}),
        make_record(source="t", native_id="2", kind="ticket", messages=[{"role": "user", "content": long_}],
                    meta={"created_at": "2024-05-03"}),
        make_record(source="t", native_id="3", kind="ticket",
                    messages=[{"role": "user", "content": short}, {"role": "assistant", "content": "On its way."}],
                    meta={"created_at": 1714600000}),  # 2024-05-01T21:46Z, as Unix seconds
        make_record(source="t", native_id="4", kind="ticket", messages=[{"role": "user", "content": TICKET + " Bye"}],
                    meta={"updated": "2030-01-01"}),  # no created_at: last for "newest"
    ]
    return recs


@pytest.mark.parametrize(
    "policy,kept",
    [("first", "t:1"), ("longest", "t:3"), ("complete", "t:3"), ("newest", "t:2")],
)
def test_representative_policies(policy: str, kept: str) -> None:
    recs = _variants()
    df = pl.DataFrame(recs, schema=RECORD_SCHEMA)
    conf = DedupeConfig(keep=policy, threshold=0.7)
    res = find_duplicates(df, conf.model_copy(update={"batch_size": 2}), total=df.height)
    out = by_id(res.frame)
    assert [i for i, r in out.items() if r["drop_reason"] is None] == [kept]
    assert {r["dup_group"] for r in out.values()} == {kept}
    assert all(r["dup_of"] == kept for i, r in out.items() if i != kept)


def test_longest_counts_characters_and_complete_prefers_assistant_reply() -> None:
    # flattened texts: record 3 is longest because of its assistant turn; make a longer
    # user-only record to separate the two policies
    recs = _variants()
    recs.append(make_record(source="t", native_id="5", kind="ticket",
                            messages=[{"role": "user", "content": TICKET + " I am waiting at home all week long."}]))
    df = pl.DataFrame(recs, schema=RECORD_SCHEMA)
    for policy, kept in (("longest", "t:5"), ("complete", "t:3")):
        res = find_duplicates(df, DedupeConfig(keep=policy, threshold=0.6), total=df.height)
        out = by_id(res.frame)
        assert [i for i, r in out.items() if r["drop_reason"] is None] == [kept], policy


def test_newest_field_is_configurable_and_nested() -> None:
    recs = _variants()
    for r, t in zip(recs, ["2020-01-01", "2019-01-01", "2021-06-01", "2018-01-01"]):
        r["meta"] = json.dumps({"ticket": {"opened": t}})
    df = pl.DataFrame(recs, schema=RECORD_SCHEMA)
    conf = DedupeConfig(keep="newest", newest_field="ticket.opened", threshold=0.7)
    res = find_duplicates(df, conf, total=df.height)
    kept = [r["id"] for r in res.frame.iter_rows(named=True) if r["drop_reason"] is None]
    assert kept == ["t:3"]


def test_parse_time() -> None:
    assert parse_time("2024-05-01T10:00:00Z") == parse_time("2024-05-01T12:00:00+02:00")
    assert parse_time("2024-05-01") == parse_time("2024-05-01T00:00:00")
    assert parse_time("1714557600") == parse_time("1714557600000") == parse_time("2024-05-01T10:00:00Z")
    assert math.isnan(parse_time(None)) and math.isnan(parse_time("soon")) and math.isnan(parse_time(""))
    assert json_path("a.b") == "$['a']['b']"


@pytest.mark.parametrize("batch_size", [1, 3, 7])
def test_batches_do_not_change_the_result(batch_size: int) -> None:
    rows = [
        {"id": f"r{i}", "text": t}
        for i, t in enumerate(
            [TICKET, OTHER, TICKET, near_copy(TICKET, {"Tuesday": "Friday"}), OTHER + " Thanks.", "", "",
             "completely different words about printers and toner cartridges on floor three", OTHER]
        )
    ]
    whole = run(rows, batch_size=1000)
    assert run(rows, batch_size=batch_size).equals(whole)
    assert whole.filter(pl.col("drop_reason").is_null()).height == 4


def test_empty_texts_are_exact_duplicates_of_each_other_only() -> None:
    rows = [{"id": "a", "text": ""}, {"id": "b", "text": "   "}, {"id": "c", "text": "!!!"}, {"id": "d", "text": "?"}]
    out = by_id(run(rows, keep="first"))
    assert out["b"]["drop_reason"] == "exact_duplicate"
    # "!!!" and "?" have no words: no shingles, so never near duplicates
    assert out["c"]["drop_reason"] is None and out["d"]["drop_reason"] is None


def test_estimate_verification_and_char_shingles() -> None:
    rows = [{"id": "a", "text": OTHER}, {"id": "b", "text": OTHER + " Best regards, Sam"}]  # J = 0.93
    for cfg in ({"verify": "estimate"}, {"shingle": "char", "ngram": 6}, {"num_perm": 64, "bands": 16, "rows": 4}):
        out = by_id(run(rows, keep="first", **cfg))
        assert out["b"]["drop_reason"] == "near_duplicate", cfg


def test_nothing_to_do() -> None:
    out = run([{"id": "only", "text": TICKET}])
    assert out.row(0, named=True)["dup_group"] == "only"
    out = run([{"id": "a", "text": TICKET}, {"id": "b", "text": TICKET}], exact=False, near=False)
    assert out["drop_reason"].null_count() == 2
    df = pl.DataFrame({"id": [], "text": []}, schema={"id": pl.Utf8, "text": pl.Utf8})
    res = find_duplicates(df, DedupeConfig(), total=0)
    assert res.frame.height == 0 and "dup_group" in res.frame.columns


def test_exact_off_still_finds_copies_as_near() -> None:
    out = by_id(run([{"id": "a", "text": TICKET}, {"id": "b", "text": TICKET}], exact=False, keep="first"))
    assert out["b"]["drop_reason"] == "near_duplicate" and out["b"]["dup_similarity"] == 1.0


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        DedupeConfig(bands=4)
    with pytest.raises(ValueError):
        DedupeConfig(bands=20, rows=8)
    with pytest.raises(ValueError):
        DedupeConfig(keep="oldest")
    assert DedupeConfig().lsh_params() == (16, 6)
    assert DedupeConfig(bands=10, rows=12).lsh_params() == (10, 12)
    assert DedupeConfig().semantic.enabled is False and DedupeConfig().semantic.threshold == 0.95

"""The built-in checks through the filter stage: each reason, with figures and no record
text in the explanation; documents skip the conversation check; the order of the checks."""

from __future__ import annotations

import json
import time

import polars as pl
import pytest

from curate.config import CurateConfig
from curate.conversations import TurnsConfig
from curate.filter.base import Verdict, active_checks, check_types
from curate.filter.boilerplate import boilerplate_share
from curate.filter.config import FilterConfig
from curate.filter.stage import WHY_COLUMN, FilterStage


def stage(**settings) -> FilterStage:
    turns = settings.pop("turns", {})
    cfg = CurateConfig.model_construct(name="t", sources=[], filter=FilterConfig(**settings), turns=TurnsConfig(**turns))
    s = FilterStage(cfg)
    s.setup()
    return s


def frame(*rows: dict) -> pl.DataFrame:
    out = []
    for i, r in enumerate(rows):
        msgs = r.get("messages") or [{"role": "user", "content": r["text"]}]
        out.append({"id": f"r{i}", "text": r.get("text") or "\n\n".join(m["content"] for m in msgs), "messages": msgs,
                    "kind": r.get("kind", "ticket"), "title": None, "meta": json.dumps(r.get("meta", {}))})
    return pl.DataFrame(out)


def run(df: pl.DataFrame, **settings) -> tuple[list, list]:
    out = stage(**settings).process(df)
    assert out.height == df.height and out["id"].to_list() == df["id"].to_list()
    return out["drop_reason"].to_list(), out[WHY_COLUMN].to_list()


def conv(user: str, agent: str | None = "Thanks, I have refunded the order.", **kw) -> dict:
    msgs = [{"role": "user", "content": user}] + ([{"role": "assistant", "content": agent}] if agent else [])
    return {"messages": msgs, **kw}


def test_each_reason():
    df = frame(
        conv("My order 4411 never arrived, can you help?"),  # fine
        conv("hi", agent="ok"),  # too short
        conv("x" * 30_000),  # too long
        conv("My order never arrived, can you help me please?", agent=None),  # no agent reply
        {"text": "Installing the agent on Linux: run the installer, then restart the service.", "kind": "doc"},
        conv("Where is my parcel?\n-----Original Message-----\nFrom: shop\nSent: Monday\n" + "> quoted line\n" * 30,
             agent="Sent from my iPhone"),
        {"messages": [{"role": "assistant", "content": "We are sorry to hear that, please send us a DM."}]},
    )
    reasons, why = run(df)
    assert reasons == [None, "too_short", "too_long", "no_agent_reply", None, "boilerplate", "no_user_turn"]
    assert why[1] == "too short: 4 characters (minimum 20)"
    assert why[2] == "too long: 30,034 characters (maximum 20,000)"
    assert why[3] == "a ticket with no agent reply"
    assert why[5].startswith("boilerplate: ")
    assert why[6] == "a ticket with no customer turn before the agent's reply"
    for w in why:
        assert w is None or "parcel" not in w and "order" not in w.split(":")[0]


def test_documents_skip_the_conversation_checks():
    """Text-only records are documents: no reply is expected of them."""
    df = frame(*[{"text": f"Chapter {i}: how the agent syncs files between two machines.", "kind": "doc"} for i in range(5)])
    reasons, _ = run(df)
    assert reasons == [None] * 5
    out = stage()
    out.process(df)
    stats = out.stats(df.with_columns(pl.lit(None, dtype=pl.Utf8).alias("drop_reason")).lazy())
    conv_check = next(c for c in stats["checks"] if c["check"] == "conversation")
    assert conv_check["applies_to"] == ["ticket", "email", "chat"] and conv_check["not_applicable"] == 5
    assert stats["kinds"] == {"doc": 5}


def test_language_from_meta_or_detected():
    df = frame(
        conv("Hallo, meine Bestellung ist nicht angekommen. Können Sie mir bitte helfen?",
             agent="Natürlich, ich sehe mir das an."),
        conv("Bonjour, ma commande n'est jamais arrivée, pouvez-vous m'aider ?", agent="Bien sûr.",
             meta={"language": "en-GB"}),  # meta wins over detection
        conv("Hello, my order never arrived. Could you please help me?"),
    )
    reasons, why = run(df, languages=["en"])
    assert reasons == ["wrong_language", None, None]
    assert why[0] == "language de (detected), not in en"
    assert run(df)[0] == [None, None, None]  # no language filter by default


def test_switches_and_order():
    df = frame(conv("hi", agent=None))
    assert run(df, min_chars=0, require_agent_reply=False)[0] == [None]
    assert run(df)[0] == ["too_short"]  # the first failing check names the reason
    assert run(df, min_chars=0)[0] == ["no_agent_reply"]
    names = [c.name for c in active_checks(FilterConfig(languages=["en"]), TurnsConfig())]
    assert names == ["min_length", "max_length", "conversation", "boilerplate", "language"]
    names = [c.name for c in active_checks(FilterConfig(min_chars=0, max_chars=None, max_boilerplate=None), TurnsConfig())]
    assert names == ["conversation"]


def test_conversation_check_follows_the_turns_policy():
    """The filter normalises as ingest does: a record read without ingest (curate select on
    a file) is judged as a build would judge it."""
    leading = {"messages": [{"role": "assistant", "content": "Hi there, we saw your post about the outage."},
                            {"role": "user", "content": "Yes, nothing has worked since this morning."},
                            {"role": "assistant", "content": "We are on it; service is back within the hour."}]}
    assert run(frame(leading))[0] == [None]
    reasons, why = run(frame(leading), turns={"leading_assistant": "drop_record"})
    assert reasons == ["starts_with_assistant"] and "drop_record" in why[0]


def test_every_builtin_check_is_registered():
    types = check_types()
    for name in ("min_length", "max_length", "conversation", "boilerplate", "language"):
        assert name in types and types[name].reasons
    assert Verdict("x", "y").reason == "x"


def test_boilerplate_share():
    assert boilerplate_share("Where is my order? It is late.") == 0
    assert boilerplate_share("How do I unsubscribe from your newsletter?") == 0
    assert boilerplate_share("ok\nClick here to unsubscribe\nYou are receiving this email because you signed up") > 0.9
    text = "Please reset my password.\n--\nJane Doe\nHead of Things\nACME Corp, 1 Main St"
    assert 0.5 < boilerplate_share(text) < 0.8
    assert boilerplate_share("See below\nOn Mon, 3 Jun 2024 at 10:00, Bob <b@x.org> wrote:\n> hi\n> there") > 0.8


@pytest.mark.parametrize("unit", ["-", "a-", "\t", "1", " ", "-----original message", "on x ", "> ", "_"])
def test_boilerplate_patterns_are_linear_on_hostile_lines(unit):
    """100 kB of one repeated piece, as one line and as many lines: a backtracking pattern
    would take seconds to minutes; a linear one well under a second."""
    one_line = unit * (100_000 // len(unit))
    lines = "\n".join([unit * 40] * (100_000 // (40 * len(unit) + 1)))
    for text in (one_line, lines, "\t" * 50_000 + "-" * 50_000):
        t0 = time.perf_counter()
        boilerplate_share(text)
        assert time.perf_counter() - t0 < 1.0, (unit, len(text))

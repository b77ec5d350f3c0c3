"""The quality pre-filter: each reason, with figures and no record text in the reason."""

from __future__ import annotations

import json

import polars as pl

from curate.select.config import QualityConfig
from curate.select.quality import boilerplate_share, quality_filter


def _rows(*rows: dict) -> pl.DataFrame:
    out = []
    for r in rows:
        msgs = r.get("messages") or [{"role": "user", "content": r["text"]}]
        out.append({"text": r.get("text") or "\n\n".join(m["content"] for m in msgs), "messages": msgs,
                    "kind": r.get("kind", "ticket"), "meta": json.dumps(r.get("meta", {}))})
    return pl.DataFrame(out)


def conv(user: str, agent: str | None = "Thanks, I have refunded the order.", **kw) -> dict:
    msgs = [{"role": "user", "content": user}] + ([{"role": "assistant", "content": agent}] if agent else [])
    return {"messages": msgs, **kw}


def test_each_reason():
    df = _rows(
        conv("My order 4411 never arrived, can you help?"),  # fine
        conv("hi", agent="ok"),  # too short
        conv("x" * 30_000),  # too long
        conv("My order never arrived, can you help me please?", agent=None),  # no agent reply
        {"text": "Installing the agent on Linux: run the installer, then restart the service.", "kind": "doc"},
        conv("Where is my parcel?\n-----Original Message-----\nFrom: shop\nSent: Monday\n" + "> quoted line\n" * 30,
             agent="Sent from my iPhone"),
    )
    res = quality_filter(df, QualityConfig())
    assert res.reasons == [None, "too_short", "too_long", "no_agent_reply", None, "boilerplate"]
    assert res.why[1] == "too short: 4 characters (minimum 20)"
    assert res.why[2] == "too long: 30,034 characters (maximum 20,000)"
    assert res.why[3] == "a ticket with no agent reply"
    assert res.why[5].startswith("boilerplate: ")
    assert res.counts() == {"too_short": 1, "too_long": 1, "no_agent_reply": 1, "boilerplate": 1}
    for why in res.why:
        assert why is None or "parcel" not in why and "order" not in why.split(":")[0]


def test_language_from_meta_or_detected():
    df = _rows(
        conv("Hallo, meine Bestellung ist nicht angekommen. Können Sie mir bitte helfen?",
             agent="Natürlich, ich sehe mir das an."),
        conv("Bonjour, ma commande n'est jamais arrivée, pouvez-vous m'aider ?", agent="Bien sûr.",
             meta={"language": "en-GB"}),  # meta wins over detection
        conv("Hello, my order never arrived. Could you please help me?"),
    )
    res = quality_filter(df, QualityConfig(languages=["en"]))
    assert res.reasons == ["wrong_language", None, None]
    assert res.why[0] == "language de (detected), not in en"
    assert quality_filter(df, QualityConfig()).reasons == [None, None, None]  # no filter by default


def test_switches():
    df = _rows(conv("hi", agent=None))
    assert quality_filter(df, QualityConfig(enabled=False)).reasons == [None]
    assert quality_filter(df, QualityConfig(min_chars=0, require_agent_reply=False)).reasons == [None]


def test_boilerplate_share():
    assert boilerplate_share("Where is my order? It is late.") == 0
    assert boilerplate_share("How do I unsubscribe from your newsletter?") == 0
    assert boilerplate_share("ok\nClick here to unsubscribe\nYou are receiving this email because you signed up") > 0.9
    text = "Please reset my password.\n--\nJane Doe\nHead of Things\nACME Corp, 1 Main St"
    assert 0.5 < boilerplate_share(text) < 0.8
    assert boilerplate_share("See below\nOn Mon, 3 Jun 2024 at 10:00, Bob <b@x.org> wrote:\n> hi\n> there") > 0.8

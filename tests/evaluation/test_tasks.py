"""What reviewers see, without a server: the label config and guide name no system, task
data carries letters only, the project is refused when its title would name a system, and
an item's texts are redacted together (one placeholder per value across input and
outputs)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from eval_data import CANNED, PII, SYSTEMS, answer, benchmark_items

from curate.errors import CurateError, InputError
from curate.evaluation import template
from curate.evaluation.benchmark import Item
from curate.evaluation.config import HumanEvalConfig
from curate.evaluation.push import (
    check_blind,
    check_residual,
    project_marker,
    project_settings,
    project_title,
    task_data,
)
from curate.evaluation.redaction import Shown, redact_items
from curate.evaluation.sampling import assign_letters
from curate.pii.config import RedactConfig


def test_label_config_has_one_question_per_answer_and_dimension():
    cfg = HumanEvalConfig(rating_scale=[1, 2, 3, 4, 5, 6, 7], dimensions=["accuracy", {"name": "clear_steps", "criteria": "Steps in order."}])
    tpl = template.build(cfg, 3)
    root = ET.fromstring(tpl.label_config)
    choices = {el.get("name"): el for el in root.iter("Choices")}
    assert set(choices) == set(tpl.fields) == {f"{d}_{x}" for d in ("accuracy", "clear_steps") for x in "ABC"} | {"preference"}
    assert [c.get("value") for c in choices["clear_steps_B"].iter("Choice")] == [str(v) for v in range(1, 8)]
    assert choices["clear_steps_B"].get("toName") == "output_B" and choices["clear_steps_B"].get("required") == "true"
    assert [c.get("value") for c in choices["preference"].iter("Choice")] == ["A", "B", "C", "none"]
    assert choices["preference"].get("required") is None  # the preference is optional
    assert {el.get("value") for el in root.iter("Text")} == {"$conversation", "$reference", "$output_A", "$output_B", "$output_C"}
    assert not any(el.tag in ("HyperText", "HTML") for el in root.iter())
    assert template.parse_field("clear_steps_B") == ("clear_steps", "B") and template.parse_field("preference") is None
    guide = template.guide_markdown(cfg)
    assert "{{" not in guide and "1, 2, 3, 4, 5, 6, 7" in guide and "Clear steps" in guide and "Steps in order." in guide
    assert "rated by **3 reviewers** independently" in guide
    assert "rated by **1 reviewer** independently" in template.guide_markdown(HumanEvalConfig(reviewers=1))
    assert "in a different order for every item" in guide
    named = template.guide_markdown(HumanEvalConfig(blind=False))
    assert "headed by the name of the assistant" in named and "different order" not in named
    hidden = template.build(HumanEvalConfig(show_gold=False, preference=False), 2)
    assert "$reference" not in hidden.label_config and "preference" not in hidden.fields


def test_task_data_carries_letters_only():
    items = benchmark_items(3)
    letters = assign_letters([i["id"] for i in items], list(SYSTEMS), seed=0)
    for it in items:
        shown = Shown(it["messages"], it["reference"], {s: answer(s, it) for s in SYSTEMS})
        data = task_data(it["id"], shown, letters[it["id"]], HumanEvalConfig())
        assert set(data) == {"record_id", "conversation", "reference", "output_A", "output_B", "output_C"}
        assert not any(s in str(data) for s in SYSTEMS)
        assert data[f"output_{next(k for k, v in letters[it['id']].items() if v == 'legacy-bot')}"] == CANNED
        assert data["conversation"].startswith("Customer: ")
        named = task_data(it["id"], shown, letters[it["id"]], HumanEvalConfig(blind=False, show_gold=False))
        assert "reference" not in named and {named[f"system_{k}"] for k in "ABC"} == {f"Answer {k}: {v}" for k, v in letters[it["id"]].items()}


def test_a_project_that_would_name_a_system_is_refused():
    cfg = HumanEvalConfig()
    tpl = template.build(cfg, 3)
    ok = project_settings(cfg, tpl, project_title(cfg, "support/human-eval"), project_marker("support/human-eval"))
    check_blind(cfg, list(SYSTEMS), ok)
    label = "support/legacy-bot-vs-rest"
    bad = project_settings(cfg, tpl, project_title(cfg, label), project_marker(label))
    with pytest.raises(InputError, match="project title would name the system 'legacy-bot'"):
        check_blind(cfg, list(SYSTEMS), bad)
    check_blind(HumanEvalConfig(blind=False), list(SYSTEMS), bad)  # not blind: names are shown anyway
    # whole words only: "base" in "database" is no name; a criterion naming a system is
    db = HumanEvalConfig(dimensions=[{"name": "accuracy", "criteria": "Matches the order database."}])
    check_blind(db, ["base"], project_settings(db, template.build(db, 1), "t", "d"))
    leak = HumanEvalConfig(dimensions=[{"name": "accuracy", "criteria": "At least as good as Legacy-Bot."}])
    with pytest.raises(InputError, match="label config would name the system 'legacy-bot'"):
        check_blind(leak, list(SYSTEMS), project_settings(leak, template.build(leak, 3), "t", "d"))


def test_an_item_is_redacted_as_one_record():
    item = Item("t1", [{"role": "user", "content": "Hi, this is Marjorie Vanterpool. My order has not arrived."}],
                "Sorry to hear that, Marjorie. Here is the tracking link.")
    preds = {"a": {"t1": CANNED}, "b": {"t1": "Dear Marjorie Vanterpool, your parcel ships today."}}
    res = redact_items([item], preds, RedactConfig(), ["a", "b"])
    shown = res.shown["t1"]
    texts = [shown.messages[0]["content"], shown.reference, *shown.outputs.values()]
    for value in (*PII, "Marjorie", "Vanterpool"):
        assert not any(value in t for t in texts), value
    assert "<PERSON_1>" in shown.messages[0]["content"] and "<PERSON_1>" in shown.outputs["a"] and "<PERSON_1>" in shown.outputs["b"]
    assert res.replaced["EMAIL_ADDRESS"] == 1 and res.replaced["PHONE_NUMBER"] == 1
    plain = redact_items([item], preds, None, ["a", "b"])
    assert not plain.enabled and plain.shown["t1"].outputs["a"] == CANNED


def test_residual_findings_stop_the_push_only_when_configured():
    with pytest.raises(CurateError, match=r"residual check still finds personal data after redaction \(EMAIL_ADDRESS 2\); no task was imported") as exc:
        check_residual("fail", {"EMAIL_ADDRESS": 2})
    assert exc.value.exit_code == 1
    check_residual("quarantine", {"EMAIL_ADDRESS": 2})  # overwritten in what is sent
    check_residual("fail", {})

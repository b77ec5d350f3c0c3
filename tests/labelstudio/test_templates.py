"""Label configs and guidelines: valid XML, untrusted text only through <Text>, config values
escaped, and task data that carries a ticket's markup as plain text."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from curate.errors import ConfigError
from curate.labelstudio.config import LabelConfig
from curate.labelstudio.tasks import NotReviewable, task_data
from curate.labelstudio.templates import (
    FIELD_LEVELS,
    LABELING_DIR,
    build_template,
    check_label_config,
    field_levels,
)

CONFIGS = {
    "response_review": LabelConfig(categories=["billing", {"name": "shipping", "criteria": "Delivery, tracking."}]),
    "classification": LabelConfig(task="classification", labels=["refund", {"name": "other", "criteria": "None fits."}]),
    "doc_qa": LabelConfig(task="doc_qa"),
}


@pytest.mark.parametrize("task", sorted(FIELD_LEVELS))
def test_shipped_xml_is_valid_and_safe(task):
    raw = (LABELING_DIR / f"{task}.xml").read_text(encoding="utf-8")
    root = ET.fromstring(raw)
    assert root.tag == "View"
    tags = {el.tag for el in root.iter()}
    assert not tags & {"HyperText", "HTML", "Markdown"}
    # every tag that shows task data is a <Text>
    shows_data = [el for el in root.iter() if el.get("value", "").startswith("$")]
    assert shows_data and all(el.tag == "Text" for el in shows_data)
    assert (LABELING_DIR / f"{task}.md").exists()


@pytest.mark.parametrize("task", sorted(CONFIGS))
def test_built_config_has_the_task_fields(task):
    t = build_template(CONFIGS[task])
    root = ET.fromstring(t.label_config)
    controls = {el.get("name") for el in root.iter() if el.get("toName")}
    assert controls == set(field_levels(CONFIGS[task]))
    assert check_label_config(t.label_config, task) == []
    assert "<h1>" in t.instructions_html


def test_adjudication_config_shows_the_reviews_as_text():
    t = build_template(CONFIGS["response_review"], adjudication=True)
    root = ET.fromstring(t.label_config)
    reviews = [el for el in root.iter("Text") if el.get("value") == "$reviews"]
    assert len(reviews) == 1
    assert "Adjudicating disagreements" in t.instructions_html


def test_config_values_are_escaped_in_xml_and_guidelines():
    cfg = LabelConfig(categories=[{"name": 'bill"ing<x>', "criteria": "<script>alert(1)</script> & more"}])
    t = build_template(cfg)
    root = ET.fromstring(t.label_config)  # still valid XML
    choice = next(el for el in root.iter("Choice") if el.get("value") == 'bill"ing<x>')
    assert choice.get("hint") == "<script>alert(1)</script> & more"
    assert "<script>" not in t.instructions_html
    assert "&lt;script&gt;" in t.instructions_html


def test_no_categories_removes_the_category_question():
    t = build_template(LabelConfig())
    assert 'name="category"' not in t.label_config
    assert "category" not in field_levels(LabelConfig())
    # the questions left are numbered 1, 2, 3, in the form and in the guidelines
    root = ET.fromstring(t.label_config)
    numbered = [h.get("value").split(".")[0] for h in root.iter("Header") if h.get("value", "")[:1].isdigit()]
    assert numbered == ["1", "2", "3"]
    assert "2. Quality" in t.instructions_html and "Category" not in t.instructions_html
    with_categories = build_template(CONFIGS["response_review"])
    heads = [h.get("value") for h in ET.fromstring(with_categories.label_config).iter("Header")]
    assert [v.split(".")[0] for v in heads if v[:1].isdigit()] == ["1", "2", "3", "4"]
    assert any(v.startswith("2. Category") for v in heads)


def test_classification_needs_labels():
    with pytest.raises(ValueError, match="needs `labels`"):
        LabelConfig(task="classification")


def test_custom_template_with_hypertext_is_refused(tmp_path: Path):
    bad = tmp_path / "mine.xml"
    bad.write_text(
        '<View><HyperText name="conversation" value="$conversation"/>'
        '<Choices name="verdict" toName="conversation"><Choice value="accept"/></Choices></View>'
    )
    with pytest.raises(ConfigError, match="HyperText"):
        build_template(LabelConfig(template=str(bad)), tmp_path)


@pytest.mark.parametrize("tag", ["hypertext", "HYPERTEXT", "html", "markDown"])
def test_html_tags_are_refused_in_any_case(tmp_path: Path, tag: str):
    bad = tmp_path / "mine.xml"
    bad.write_text(
        f'<View><{tag} name="conversation" value="$conversation"/>'
        '<Choices name="verdict" toName="conversation"><Choice value="accept"/></Choices></View>'
    )
    with pytest.raises(ConfigError, match=f"<{tag}>.*renders task data as HTML"):
        build_template(LabelConfig(template=str(bad)), tmp_path)


@pytest.mark.parametrize("tag", ["Image", "iframe", "Video"])
def test_task_data_only_through_text_object_tags(tmp_path: Path, tag: str):
    bad = tmp_path / "mine.xml"
    bad.write_text(
        f'<View><Text name="t" value="$conversation"/><{tag} name="pic" value="$response"/>'
        '<Choices name="verdict" toName="t"><Choice value="accept"/></Choices></View>'
    )
    with pytest.raises(ConfigError, match=f"shows task data with <{tag}>"):
        build_template(LabelConfig(template=str(bad)), tmp_path)


def test_custom_template_with_unknown_field_is_refused(tmp_path: Path):
    bad = tmp_path / "mine.xml"
    bad.write_text('<View><Text name="t" value="$text"/><Choices name="mood" toName="t"><Choice value="x"/></Choices></View>')
    with pytest.raises(ConfigError, match="not fields of task response_review"):
        build_template(LabelConfig(template=str(bad)), tmp_path)


def test_broken_custom_template(tmp_path: Path):
    (tmp_path / "x.xml").write_text("<View><Text></View>")
    with pytest.raises(ConfigError, match="not valid XML"):
        build_template(LabelConfig(template="x.xml"), tmp_path)
    with pytest.raises(ConfigError, match="file not found"):
        build_template(LabelConfig(template="missing.xml"), tmp_path)


def _row(messages, **kw):
    return {"id": "csv:t:1", "title": None, "messages": messages, "text": "", "meta": '{"category": "INVOICE"}',
            "source": "csv:t", "kind": "ticket", "cluster": 3, **kw}


def test_script_in_a_ticket_stays_plain_text():
    script = "my invoice shows <script>alert('x')</script> instead of the total"
    data = task_data(_row([{"role": "user", "content": script}, {"role": "assistant", "content": "Sorry <b>about</b> that"}]),
                     "response_review")
    # passed through verbatim (not escaped twice, not stripped) to a <Text> tag, which
    # renders it as characters
    assert data["conversation"] == f"Customer: {script}"
    assert data["response"] == "Sorry <b>about</b> that"
    cfg_root = ET.fromstring(build_template(CONFIGS["response_review"]).label_config)
    shown_by = {el.get("value")[1:]: el.tag for el in cfg_root.iter() if el.get("value", "").startswith("$")}
    assert shown_by["conversation"] == "Text" and shown_by["response"] == "Text"
    assert data["record_id"] == "csv:t:1" and data["cluster"] == 3 and data["source_category"] == "INVOICE"


def test_response_review_reviews_the_last_agent_reply():
    msgs = [
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello, how can I help?"},
        {"role": "user", "content": "Refund please"},
        {"role": "assistant", "content": "Done."},
        {"role": "user", "content": "thanks"},
    ]
    data = task_data(_row(msgs), "response_review")
    assert data["response"] == "Done."
    assert data["conversation"] == "Customer: Hi\n\nAgent: Hello, how can I help?\n\nCustomer: Refund please"
    with pytest.raises(NotReviewable, match="no_agent_reply"):
        task_data(_row([{"role": "user", "content": "Hi"}]), "response_review")


def test_doc_chunk_is_its_text():
    data = task_data(_row([{"role": "user", "content": "Install with pip."}], kind="doc", title="Setup"), "doc_qa")
    assert data["text"] == "Install with pip." and data["title"] == "Setup"


def test_reasoning_review_config_and_task_data():
    """The reasoning task shows the conversation, the draft reasoning and answer as text,
    and asks for the verdict and the two texts; the drafts travel for the prefill."""
    from curate.labelstudio.tasks import DRAFT_KEY, NO_DRAFT

    cfg = LabelConfig(task="reasoning_review")
    t = build_template(cfg)
    root = ET.fromstring(t.label_config)
    controls = {el.get("name") for el in root.iter() if el.get("toName")}
    assert controls == {"verdict", "reasoning", "answer", "note"}
    assert field_levels(cfg) == {"verdict": "nominal", "reasoning": "text", "answer": "text", "note": "text"}
    row = {"id": "r1", "title": "Parcel", "messages": [
        {"role": "user", "content": "Can I send 40 kg?"}, {"role": "assistant", "content": "No."}],
        "reasoning": "1. The limit is 30 kg."}
    data = task_data(row, "reasoning_review")
    assert data["conversation"] == "Customer: Can I send 40 kg?" and data["draft_answer"] == "No."
    assert data[DRAFT_KEY] == {"reasoning": "1. The limit is 30 kg.", "answer": "No."}
    bare = task_data({**row, "reasoning": None, "messages": row["messages"][:1]}, "reasoning_review")
    assert bare["draft_reasoning"] == bare["draft_answer"] == NO_DRAFT and bare[DRAFT_KEY] == {}


@pytest.mark.parametrize("task", ["response_review", "classification", "doc_qa", "reasoning_review"])
def test_difficulty_question_only_when_asked(task):
    extra = {"labels": ["a", "b"]} if task == "classification" else {}
    off = build_template(LabelConfig(task=task, **extra))
    on = build_template(LabelConfig(task=task, difficulty=True, **extra))
    names = lambda t: {el.get("name") for el in ET.fromstring(t.label_config).iter() if el.get("toName")}
    assert "difficulty" not in names(off) and "difficulty" in names(on)
    assert field_levels(LabelConfig(task=task, difficulty=True, **extra))["difficulty"] == "ordinal:easy,medium,hard"
    assert "Difficulty" in on.instructions_html and "Difficulty" not in off.instructions_html

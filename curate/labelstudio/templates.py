"""Label configs (XML) and reviewer guidelines (Markdown) from ``labeling/``, filled in
with the configured categories or labels.

Values from the configuration are added as XML attributes through ElementTree (so they are
escaped), and the Markdown guidelines become the project's instructions with raw HTML
disabled. Record text is never part of a label config: it reaches Label Studio as task
data, shown by ``<Text>`` tags (plain text), never ``<HyperText>``.
"""

from __future__ import annotations

import html
import re
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from curate.errors import ConfigError
from curate.labelstudio.config import Choice, LabelConfig


def _labeling_dir() -> Path:
    """The repository's labeling/ (a checkout or an editable install), else the copy a
    wheel installs under <prefix>/share/curate/labeling."""
    repo = Path(__file__).resolve().parents[2] / "labeling"
    if repo.is_dir():
        return repo
    return Path(sys.prefix) / "share" / "curate" / "labeling"


#: Where the shipped label configs and guidelines live.
LABELING_DIR = _labeling_dir()

#: Tags that render task data as HTML: never used for untrusted text.
UNSAFE_TAGS = frozenset({"HyperText", "HTML", "Markdown"})
#: The object tags (those showing task data through ``value="$key"``) a config may use, in
#: lower case: Label Studio matches tag names without regard to case, so ``<hypertext>``
#: is HyperText. Anything else showing task data (an image, audio, a new tag of a later
#: version) is refused: curate's tasks are text.
SAFE_OBJECT_TAGS = frozenset({"text", "header", "paragraphs"})

#: Field name -> level of measurement (the agreement statistics read these), per task.
FIELD_LEVELS: dict[str, dict[str, str]] = {
    "response_review": {
        "verdict": "nominal",
        "category": "nominal",
        "quality": "ordinal",
        "corrected_response": "text",
        "note": "text",
    },
    "classification": {"label": "nominal", "note": "text"},
    "doc_qa": {"verdict": "nominal", "question": "text", "answer": "text", "note": "text"},
    # the reasoning and the final answer as the reviewer leaves them (corrected or not):
    # their texts are compared like a corrected reply
    "reasoning_review": {"verdict": "nominal", "reasoning": "text", "answer": "text", "note": "text"},
}
#: The optional easy / medium / hard question (``label.difficulty``), in every task.
DIFFICULTY = "difficulty"
DIFFICULTY_LEVEL = "ordinal:easy,medium,hard"
for _levels in FIELD_LEVELS.values():
    _levels[DIFFICULTY] = DIFFICULTY_LEVEL

#: Fields that are informational: scored, but a disagreement never needs a third person.
#: Difficulty only balances the benchmark: reviewers rating an item medium and hard do not
#: need a third opinion.
INFORMATIONAL: dict[str, frozenset[str]] = {
    "response_review": frozenset({"note", DIFFICULTY}),
    "classification": frozenset({"note", DIFFICULTY}),
    # two reviewers write different, equally valid questions; the verdict is what must agree
    "doc_qa": frozenset({"note", "question", "answer", DIFFICULTY}),
    "reasoning_review": frozenset({"note", DIFFICULTY}),
}

#: The task data keys each template reads (``$name``), besides ``record_id``.
DATA_KEYS: dict[str, tuple[str, ...]] = {
    "response_review": ("title", "conversation", "response"),
    "classification": ("title", "text"),
    "doc_qa": ("title", "text"),
    "reasoning_review": ("title", "conversation", "draft_reasoning", "draft_answer"),
}


@dataclass(frozen=True)
class Template:
    """A ready label config and its instructions."""

    task: str
    label_config: str
    instructions_html: str
    fields: dict[str, str]


def _resolve(path: str, base_dir: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else base_dir / p


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if path.parent == LABELING_DIR:
            raise ConfigError(f"the shipped file {path} is missing: curate's labeling/ folder was not installed") from None
        raise ConfigError(f"label.{what}: file not found: {path}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"label.{what}: not a UTF-8 text file: {path}") from None


def _fill_choices(root: ET.Element, name: str, choices: list[Choice]) -> bool:
    """Add <Choice> children to the Choices tag ``name``; False when there is none."""
    tag = next((el for el in root.iter("Choices") if el.get("name") == name), None)
    if tag is None:
        return False
    if choices:
        for child in list(tag):
            tag.remove(child)
        for c in choices:
            attrs = {"value": c.name}
            if c.criteria:
                attrs["hint"] = " ".join(c.criteria.split())
            ET.SubElement(tag, "Choice", attrs)
    return True


def _remove_block(root: ET.Element, class_name: str) -> None:
    for parent in root.iter():
        for child in list(parent):
            if child.tag == "View" and child.get("className") == class_name:
                parent.remove(child)


_NUMBERED = re.compile(r"^(\d+)\.\s")


def _renumber_questions(root: ET.Element) -> None:
    """Number the questions 1, 2, 3 in the order they appear: a question removed (the
    category without categories) leaves no gap."""
    n = 0
    for el in root.iter("Header"):
        value = el.get("value", "")
        if _NUMBERED.match(value):
            n += 1
            el.set("value", _NUMBERED.sub(f"{n}. ", value, count=1))


def _renumber_sections(md: str) -> str:
    """The same for the guidelines' numbered ``## N.`` sections."""
    n = 0

    def number(m: re.Match[str]) -> str:
        nonlocal n
        n += 1
        return f"## {n}. "

    return re.sub(r"^## \d+\.\s", number, md, flags=re.MULTILINE)


def _drop_section(md: str, placeholder: str) -> str:
    """Remove the ``##`` section that holds ``placeholder`` (up to the next ``##``)."""
    at = md.find(placeholder)
    if at < 0:
        return md
    start = md.rfind("\n## ", 0, at) + 1
    end = md.find("\n## ", at)
    return md[:start] + (md[end + 1:] if end >= 0 else "")


def build_label_config(cfg: LabelConfig, base_dir: Path | None = None, *, adjudication: bool = False) -> str:
    """The label config of the task: the template with the configured choices, plus (for
    the adjudication project) a block showing what the two reviewers answered."""
    base_dir = base_dir or Path.cwd()
    src = _resolve(cfg.template, base_dir) if cfg.template else LABELING_DIR / f"{cfg.task}.xml"
    text = _read(src, "template")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ConfigError(f"{src}: not valid XML ({exc})") from None
    if cfg.task == "response_review":
        if cfg.categories:
            _fill_choices(root, "category", cfg.categories)
        else:
            _remove_block(root, "curate-category")
    elif cfg.task == "classification" and cfg.labels:
        if not _fill_choices(root, "label", cfg.labels):
            raise ConfigError(f"{src}: no <Choices name=\"label\"> to put the labels in")
    if not cfg.difficulty:
        _remove_block(root, "curate-difficulty")
    for el in root.iter():
        if el.get("className", "").startswith("curate-"):
            del el.attrib["className"]
    _renumber_questions(root)
    if adjudication:
        block = ET.Element("View")
        ET.SubElement(block, "Header", {"value": "What the two reviewers answered", "size": "5"})
        ET.SubElement(block, "Text", {"name": "reviews", "value": "$reviews"})
        # after the item, before the questions: the adjudicator reads the item first
        anchor = max((i for i, el in enumerate(list(root)) if el.tag == "Text"), default=-1)
        root.insert(anchor + 1, block)
    ET.indent(root, space="  ")
    out = ET.tostring(root, encoding="unicode")
    problems = check_label_config(out, cfg.task)
    if problems:
        raise ConfigError(f"{src}: " + "; ".join(problems))
    return out


def check_label_config(xml: str, task: str) -> list[str]:
    """Problems that would make a label config unsafe or unreadable by curate."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        return [f"not valid XML ({exc})"]
    problems: list[str] = []
    if root.tag != "View":
        problems.append("the root element must be <View>")
    unsafe_lower = {t.lower() for t in UNSAFE_TAGS}
    unsafe = sorted({el.tag for el in root.iter() if el.tag.lower() in unsafe_lower})
    if unsafe:
        problems.append(
            f"uses {', '.join('<' + t + '>' for t in unsafe)}, which renders task data as HTML; "
            "show untrusted text with <Text>"
        )
    other = sorted({
        el.tag for el in root.iter()
        if el.get("value", "").startswith("$") and el.tag.lower() not in SAFE_OBJECT_TAGS | unsafe_lower
    })
    if other:
        problems.append(
            f"shows task data with {', '.join('<' + t + '>' for t in other)}; only <Text>, <Header> "
            "and <Paragraphs> may show it"
        )
    controls = {el.get("name") for el in root.iter() if el.get("toName")}
    objects = {el.get("name") for el in root.iter() if el.get("value", "").startswith("$")}
    known = set(FIELD_LEVELS.get(task, {}))
    unknown = sorted(c for c in controls if c not in known)
    if unknown:
        problems.append(
            f"control(s) {', '.join(unknown)} are not fields of task {task} ({', '.join(sorted(known))})"
        )
    for el in root.iter():
        to = el.get("toName")
        if to and to not in objects:
            problems.append(f"<{el.tag} name=\"{el.get('name')}\"> points to toName=\"{to}\", which shows no task data")
    for el in root.iter("Choices"):
        if not list(el.iter("Choice")) and el.get("name"):
            problems.append(f"<Choices name=\"{el.get('name')}\"> has no choices")
    return problems


def _choices_markdown(choices: list[Choice]) -> str:
    if not choices:
        return "_(no categories configured)_"
    lines = []
    for c in choices:
        lines.append(f"- **{_md_escape(c.name)}**" + (f": {_md_escape(c.criteria)}" if c.criteria else ""))
    return "\n".join(lines)


def _md_escape(text: str) -> str:
    out = " ".join(text.split())
    for ch in "\\`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out


def guidelines_markdown(cfg: LabelConfig, base_dir: Path | None = None, *, adjudication: bool = False) -> str:
    base_dir = base_dir or Path.cwd()
    src = _resolve(cfg.guidelines, base_dir) if cfg.guidelines else LABELING_DIR / f"{cfg.task}.md"
    md = _read(src, "guidelines")
    if cfg.task == "response_review" and not cfg.categories and not cfg.guidelines:
        md = _renumber_sections(_drop_section(md, "{{categories}}"))  # the form asks no category question
    if cfg.task == "reasoning_review" and not cfg.difficulty and not cfg.guidelines:
        md = _drop_section(md, "How hard the item is for a capable assistant")  # the form asks no difficulty question
    md = md.replace("{{categories}}", _choices_markdown(cfg.categories))
    md = md.replace("{{labels}}", _choices_markdown(cfg.labels))
    if cfg.difficulty and not cfg.guidelines and "## 4. Difficulty" not in md:
        md = md.rstrip() + "\n\n" + _read(LABELING_DIR / "difficulty.md", "guidelines")
    if adjudication:
        md = _read(LABELING_DIR / "adjudication.md", "guidelines") + "\n\n---\n\n" + md
    return md


def markdown_to_html(md: str) -> str:
    """Markdown → HTML with raw HTML escaped (guidelines may quote config values)."""
    try:
        from markdown_it import MarkdownIt
    except ImportError:  # pragma: no cover - markdown-it-py comes with rich
        return "<pre>" + html.escape(md) + "</pre>"
    return MarkdownIt("commonmark", {"html": False}).enable("table").render(md)


def build_template(cfg: LabelConfig, base_dir: Path | None = None, *, adjudication: bool = False) -> Template:
    return Template(
        task=cfg.task,
        label_config=build_label_config(cfg, base_dir, adjudication=adjudication),
        instructions_html=markdown_to_html(guidelines_markdown(cfg, base_dir, adjudication=adjudication)),
        fields=dict(FIELD_LEVELS[cfg.task]),
    )


def field_levels(cfg: LabelConfig) -> dict[str, str]:
    """Level of each field of the task, for ``labels/fields.json``. Without categories the
    category question is not asked, so the field is left out."""
    levels = dict(FIELD_LEVELS[cfg.task])
    if cfg.task == "response_review" and not cfg.categories:
        levels.pop("category", None)
    if not cfg.difficulty:
        levels.pop(DIFFICULTY, None)
    return levels

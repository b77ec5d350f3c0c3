"""The Label Studio label config and the reviewer guide of a human evaluation.

The config is built for the eval's systems and dimensions: the conversation, the gold
answer (when shown), then per answer letter its text and one question per dimension
(``<Choices>`` over the rating scale, named ``<dimension>_<letter>``, e.g. ``accuracy_B``),
and an optional overall preference (``preference``: a letter, or ``none``). Field names and
headers carry letters only; with ``blind: false`` each answer's header is the system's name,
taken from the task data (``$system_A``).

All text is shown with ``<Text>`` (characters, never markup); values from the config go in
as XML attributes through ElementTree, so they are escaped. The guide is
``labeling/human_eval.md`` with the dimensions, scale and questions filled in.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from curate.errors import ConfigError
from curate.evaluation.config import HumanEvalConfig
from curate.evaluation.sampling import LETTERS
from curate.labelstudio.templates import LABELING_DIR, markdown_to_html

GUIDE = "human_eval.md"
PREFERENCE = "preference"
NO_PREFERENCE = "none"
_FIELD = re.compile(r"^(?P<dimension>[a-z][a-z0-9_]*)_(?P<letter>[A-Z])$")


@dataclass(frozen=True)
class EvalTemplate:
    label_config: str
    instructions_html: str
    fields: frozenset[str]  # every control name


def output_key(letter: str) -> str:
    return f"output_{letter}"


def field_name(dimension: str, letter: str) -> str:
    return f"{dimension}_{letter}"


def parse_field(name: str) -> tuple[str, str] | None:
    """``accuracy_B`` -> (accuracy, B); None for anything else."""
    m = _FIELD.match(name)
    return (m["dimension"], m["letter"]) if m else None


def label_config(cfg: HumanEvalConfig, n_systems: int) -> str:
    letters = LETTERS[:n_systems]
    root = ET.Element("View")
    ET.SubElement(root, "Header", {"value": "Conversation", "size": "4"})
    ET.SubElement(root, "Text", {"name": "conversation", "value": "$conversation"})
    if cfg.show_gold:
        ET.SubElement(root, "Header", {"value": "Gold answer (written by an expert, for reference)", "size": "5"})
        ET.SubElement(root, "Text", {"name": "reference", "value": "$reference"})
    ET.SubElement(root, "Header", {"value": "Rate every answer on", "size": "5"})
    for d in cfg.dimensions:
        ET.SubElement(root, "Header", {"value": f"{_title(d.name)}" + (f": {' '.join(d.criteria.split())}" if d.criteria else ""),
                                       "size": "6"})
    scale = cfg.rating_scale
    ET.SubElement(root, "Header", {"value": f"from {scale[0]} (worst) to {scale[-1]} (best)", "size": "6"})
    for letter in letters:
        block = ET.SubElement(root, "View", {"style": "margin-top: 1.5em; padding: 0.5em 1em; border-left: 4px solid #8aa"})
        header = f"$system_{letter}" if not cfg.blind else f"Answer {letter}"
        ET.SubElement(block, "Header", {"value": header, "size": "4"})
        ET.SubElement(block, "Text", {"name": output_key(letter), "value": f"${output_key(letter)}"})
        for d in cfg.dimensions:
            ET.SubElement(block, "Header", {"value": f"{_title(d.name)} ({letter})", "size": "6"})
            choices = ET.SubElement(block, "Choices", {
                "name": field_name(d.name, letter), "toName": output_key(letter), "choice": "single-radio",
                "showInline": "true", "required": "true",
            })
            for v in cfg.rating_scale:
                ET.SubElement(choices, "Choice", {"value": str(v)})
    if cfg.preference:
        ET.SubElement(root, "Header", {"value": "Overall, which answer is best? (optional)", "size": "5"})
        choices = ET.SubElement(root, "Choices", {
            "name": PREFERENCE, "toName": "conversation", "choice": "single-radio", "showInline": "true",
        })
        for letter in letters:
            ET.SubElement(choices, "Choice", {"value": letter})
        ET.SubElement(choices, "Choice", {"value": NO_PREFERENCE, "hint": "No answer is clearly better than the others."})
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="unicode")


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def control_names(cfg: HumanEvalConfig, n_systems: int) -> frozenset[str]:
    names = {field_name(d.name, letter) for d in cfg.dimensions for letter in LETTERS[:n_systems]}
    if cfg.preference:
        names.add(PREFERENCE)
    return frozenset(names)


def _md(text: str) -> str:
    out = " ".join(text.split())
    for ch in "\\`*_[]<>#|":
        out = out.replace(ch, "\\" + ch)
    return out


def guide_markdown(cfg: HumanEvalConfig) -> str:
    path = LABELING_DIR / GUIDE
    try:
        md = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"the shipped file {path} is missing: curate's labeling/ folder was not installed") from None
    dims = "\n".join(
        f"- **{_md(_title(d.name))}**" + (f": {_md(d.criteria)}" if d.criteria else "")
        for d in cfg.dimensions
    )
    gold = ("- **Gold answer**: what an expert wrote. Use it to check facts and steps; an answer may be "
            "worded differently, or be better, and still deserve the best rating.\n") if cfg.show_gold else ""
    pref = ("## Overall preference (optional)\n\nAfter rating, pick the answer you would rather send to this "
            "customer, or **none** when no answer is clearly better. Leave it empty if you cannot decide.") \
        if cfg.preference else ""
    scale = ", ".join(str(v) for v in cfg.rating_scale)
    reviewers = f"{cfg.reviewers} reviewer" + ("s" if cfg.reviewers != 1 else "")
    blinding = ("You do not know which assistant wrote which answer, and nobody expects you to guess: the answers "
                "are labelled **A, B, C...** in a different order for every item." if cfg.blind else
                "Each answer is headed by the name of the assistant that wrote it. Rate what the answer says, "
                "not what you expect of its author.")
    return (md.replace("{{reviewers}}", reviewers).replace("{{blinding}}", blinding).replace("{{gold}}", gold)
            .replace("{{scale}}", scale).replace("{{scale_low}}", str(cfg.rating_scale[0]))
            .replace("{{scale_high}}", str(cfg.rating_scale[-1])).replace("{{dimensions}}", dims)
            .replace("{{preference}}", pref))


def build(cfg: HumanEvalConfig, n_systems: int) -> EvalTemplate:
    return EvalTemplate(label_config(cfg, n_systems), markdown_to_html(guide_markdown(cfg)), control_names(cfg, n_systems))

"""Predictions pass through the same PII redaction as the data: a model's output can hold
personal data (a name it was trained on, an address it made up that belongs to someone).

Each item is redacted as one record, its input, its gold answer and every system's output
together, with the run's ``redact:`` settings. So a value found in one text is redacted in
all of them (the redactor spreads what it finds within a record), and a placeholder means
the same value everywhere in the item: ``<PERSON_1>`` in the input and in output B is one
person. What comes out is only sent to Label Studio; the eval folder keeps the counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from curate.evaluation.benchmark import Item
from curate.pii.config import RedactConfig

BATCH = 32


@dataclass
class Shown:
    """What reviewers see of one item."""

    messages: list[dict[str, str]]
    reference: str
    outputs: dict[str, str]  # system -> output


@dataclass
class RedactionResult:
    shown: dict[str, Shown]
    replaced: Counter[str] = field(default_factory=Counter)  # entity type -> count
    residual: Counter[str] = field(default_factory=Counter)
    enabled: bool = True


def redact_items(items: list[Item], predictions: dict[str, dict[str, str]], config: RedactConfig | None,
                 systems: list[str]) -> RedactionResult:
    """The texts of ``items`` as reviewers will see them: redacted with ``config``, or as
    they are when ``config`` is None (the caller allowed that explicitly)."""
    if config is None:
        return RedactionResult(
            {it.id: Shown([dict(m) for m in it.messages], it.reference, {s: predictions[s][it.id] for s in systems})
             for it in items},
            enabled=False,
        )
    from curate.pii.redactor import RecordIn, Redactor

    redactor = Redactor(config)
    result = RedactionResult({})
    for start in range(0, len(items), BATCH):
        chunk = items[start:start + BATCH]
        records = []
        for it in chunk:
            turns = [dict(m) for m in it.messages]
            turns.append({"role": "assistant", "content": it.reference})
            turns += [{"role": "assistant", "content": predictions[s][it.id]} for s in systems]
            records.append(RecordIn(None, turns))
        for it, out in zip(chunk, redactor.redact(records)):
            n = len(it.messages)
            texts = [m["content"] for m in out.messages]
            result.shown[it.id] = Shown(
                [{"role": m["role"], "content": m["content"]} for m in out.messages[:n]],
                texts[n],
                {s: texts[n + 1 + k] for k, s in enumerate(systems)},
            )
            result.replaced.update(out.pii)
            result.residual.update(out.residual)
    return result

"""Why an export came out empty or small, said in one line.

A build or ``curate export`` that writes fewer than ``export.min_examples`` examples (default
1) fails with :class:`EmptyResult` (exit 1); one far below the selection budget gets a
warning. Either way the line names the main reasons records were left out, with counts and
the stage that dropped them, and what to do about the commonest dead ends (documentation
without reviewers' questions, conversations without a customer turn)."""

from __future__ import annotations

from typing import Any

from curate.errors import CurateError

#: below this share of the selection budget an export is "far below" it
FAR_BELOW = 0.5
#: reasons shown in the line (the largest)
SHOWN = 4

_HINTS = {
    "doc_needs_qa": "documentation chunks become chat examples only through reviewers' questions (label.task: "
                    "doc_qa); export.format: text writes them as they are, for continued pre-training",
    "no_user_turn": "these conversations have no customer turn before the agent's reply: check which senders "
                    "the source counts as the agent (email: support_domains / support_addresses)",
    "no_agent_reply": "these conversations have no agent reply: check which senders the source counts as the "
                      "agent, or let reviewers write replies (filter.require_agent_reply: false)",
    "no_accepted_label": "only records the label policy accepts are exported; --ignore-labels exports the selection",
    "not_selected": "raise select.budget to export more",
}


class EmptyResult(CurateError):
    """A build, export or selection whose result is empty or below ``min_examples``."""

    exit_code = 1


def drop_summary(stages: dict[str, Any], export_dropped: dict[str, int] | None = None,
                 rejected_at: str = "ingest") -> tuple[str, str | None]:
    """(the largest drop reasons with counts and stages, a hint for the largest one that
    has one). ``not_selected`` is listed last: it is the budget, not a problem."""
    counts: dict[tuple[str, str], int] = {}
    for name, entry in stages.items():
        if name == "export" and export_dropped is not None:
            continue
        if (entry or {}).get("status") not in ("done", None):
            continue
        for reason, n in ((entry or {}).get("dropped") or {}).items():
            counts[(reason, name)] = counts.get((reason, name), 0) + int(n)
        if (entry or {}).get("rejected"):
            counts[("rejected", name)] = counts.get(("rejected", name), 0) + int(entry["rejected"])
    for reason, n in (export_dropped or {}).items():
        counts[(reason, "export")] = counts.get((reason, "export"), 0) + int(n)
    order = sorted(counts.items(), key=lambda kv: (kv[0][0] == "not_selected", -kv[1], kv[0]))
    if not order:
        first = next((e for e in stages.values() if e and e.get("status") == "done"), {})
        if not first.get("records_out"):
            return "nothing: the sources gave no records", "check the sources' paths and settings (curate ingest CONFIG -o OUT.jsonl)"
        return "nothing was dropped", None
    shown = [f"{reason} {n:,} ({stage})" for (reason, stage), n in order[:SHOWN]]
    more = len(order) - SHOWN
    text = ", ".join(shown) + (f" and {more} more reason{'s' if more > 1 else ''}" if more > 0 else "")
    hint = next((_HINTS[reason] for (reason, _), _ in order if reason in _HINTS), None)
    return text, hint


def check_export(stages: dict[str, Any], examples: int, export_dropped: dict[str, int] | None,
                 min_examples: int, budget: int | None) -> str | None:
    """Raise EmptyResult when ``examples`` is below ``min_examples``; return a warning line
    when it is far below the selection ``budget``; else None."""
    too_few = examples < min_examples
    far_below = budget is not None and examples < FAR_BELOW * budget
    if not too_few and not far_below:
        return None
    reasons, hint = drop_summary(stages, export_dropped)
    what = f"{examples:,} example{'s' if examples != 1 else ''} exported"
    if too_few:
        line = f"{what}, fewer than export.min_examples ({min_examples:,}); left out: {reasons}"
        raise EmptyResult(line + (f" ({hint})" if hint else ""))
    line = f"{what}, far below the selection budget of {budget:,}; left out: {reasons}"
    return line + (f" ({hint})" if hint else "")


def check_run_export(manifest: dict[str, Any]) -> str | None:
    """:func:`check_export` for a build: its export stage's entry and settings, from the
    run's manifest. None when the build did not reach the export."""
    stages = manifest.get("stages") or {}
    entry = stages.get("export") or {}
    if entry.get("status") != "done":
        return None
    config = manifest.get("config") or {}
    export = config.get("export") or {}
    select = config.get("select") or {}
    budget = select.get("budget") if select.get("enabled", True) else None
    return check_export(stages, int(entry.get("records_out", 0)), None,
                        int(export.get("min_examples", 1)), budget)

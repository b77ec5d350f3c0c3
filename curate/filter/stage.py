"""The filter stage: a batch stage that runs the checks over every live record and drops
the unfit ones before they are embedded.

For each batch, the checks run in order (built-in ones cheapest first, then those listed
under ``filter.checks``); each sees only the rows no earlier check dropped and that it
applies to (a conversation check skips documents), and the first verdict names the
record's ``drop_reason``, with the figures behind it in ``filter_why``. Both engines run it
as any batch stage: the local engine in a pool of processes, Ray in an actor pool."""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from curate.filter.base import Check, Row, active_checks
from curate.filter.config import FilterConfig
from curate.records import DROP_COLUMN
from curate.stages.base import BatchStage, Resources

#: the explanation of a drop (figures, never text); null for kept records. Not ``why``:
#: the select stage writes that column for the records that reach it
WHY_COLUMN = "filter_why"
_COLUMNS = ("id", "kind", "title", "messages", "text", "meta")


class FilterStage(BatchStage):
    """Adds ``filter_why`` and sets ``drop_reason`` on the records a check drops."""

    name: ClassVar[str] = "filter"
    config_key: ClassVar[str | None] = "filter"
    config: FilterConfig

    def __init__(self, config):
        super().__init__(config)
        self._checks: list[Check] | None = None

    def __getstate__(self) -> dict[str, Any]:
        # checks are made where they run (setup), with whatever they load
        return {**self.__dict__, "_checks": None}

    def fingerprint(self) -> dict[str, Any]:
        fp = super().fingerprint()
        fp["turns"] = self.run_config.turns.model_dump(mode="json")
        return fp

    def resources(self) -> Resources:
        # cheap per record: large batches, so a pool only starts for inputs worth it
        return Resources(cpus=1.0, batch_size=8192)

    def checks(self) -> list[Check]:
        if self._checks is None:
            self._checks = active_checks(self.config, self.run_config.turns)
        return self._checks

    def setup(self) -> None:
        for check in self.checks():
            check.setup()

    def process(self, batch: pl.DataFrame) -> pl.DataFrame:
        n = batch.height
        cols = {c: batch[c].to_list() if c in batch.columns else [None] * n for c in _COLUMNS}
        rows = [
            Row(cols["id"][i], cols["kind"][i], cols["title"][i], cols["messages"][i], cols["text"][i] or "", cols["meta"][i])
            for i in range(n)
        ]
        reasons: list[str | None] = [None] * n
        whys: list[str | None] = [None] * n
        for check in self.checks():
            todo = [i for i in range(n) if reasons[i] is None and check.applies(rows[i])]
            if not todo:
                continue
            verdicts = check.check_batch([rows[i] for i in todo])
            if len(verdicts) != len(todo):
                raise AssertionError(f"filter check {check.name}: {len(verdicts)} verdicts for {len(todo)} records")
            for i, v in zip(todo, verdicts):
                if v is not None:
                    reasons[i], whys[i] = v.reason, v.why
        return batch.with_columns(
            pl.Series(WHY_COLUMN, whys, dtype=pl.Utf8),
            pl.Series(DROP_COLUMN, reasons, dtype=pl.Utf8),
        )

    def stats(self, output: pl.LazyFrame) -> dict[str, Any]:
        """The checks that ran, what each may drop and to which kinds it applies, with the
        records of other kinds it let through unexamined."""
        names = output.collect_schema().names()
        kinds: dict[str, int] = {}
        if "kind" in names:
            for kind, count in output.group_by("kind").agg(pl.len()).collect().iter_rows():
                kinds[str(kind)] = int(count)
        checks = []
        for check in self.checks():
            d = check.describe()
            if check.kinds is not None:
                d["not_applicable"] = sum(v for k, v in kinds.items() if k not in check.kinds)
            checks.append(d)
        return {"checks": checks, "kinds": dict(sorted(kinds.items()))}

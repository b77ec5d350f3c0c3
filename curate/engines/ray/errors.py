"""Getting curate's own errors back from Ray workers.

Ray Data wraps an exception raised in a worker so that only its traceback text reaches
the driver, and the text of an arbitrary exception may quote a record. A worker therefore
returns a :class:`~curate.errors.CurateError` (whose message is written for users and
never holds record text) as a one-row batch with an ``_error`` column, which the driver
raises again as the same error; anything else fails the Ray task and is reported by type.
"""

from __future__ import annotations

import pyarrow as pa

from curate import errors

ERROR = "_error"
ERROR_TYPE = "_error_type"


def error_batch(exc: errors.CurateError) -> pa.Table:
    return pa.table({ERROR_TYPE: [type(exc).__name__], ERROR: [exc.message]})


def raise_if_error(tbl: pa.Table) -> None:
    """Raise the CurateError a worker returned in this batch, if any."""
    if ERROR not in tbl.column_names:
        return
    col = tbl.column(ERROR)
    if col.null_count == len(col):
        return
    i = next(i for i, v in enumerate(col.to_pylist()) if v is not None)
    name = tbl.column(ERROR_TYPE)[i].as_py()
    cls = getattr(errors, name, None)
    if not (isinstance(cls, type) and issubclass(cls, errors.CurateError)):
        cls = errors.StageError
    exc = cls.__new__(cls)
    errors.CurateError.__init__(exc, col[i].as_py())
    raise exc


def task_failure(stage: str, exc: BaseException) -> errors.StageError:
    """A Ray failure as a StageError that names the stage and the kind of failure only."""
    kind = type(exc).__name__
    cause = getattr(exc, "cause", None)
    if cause is not None:
        kind = f"{kind} ({type(cause).__name__})"
    return errors.StageError(
        f"stage {stage}: a Ray task failed: {kind}; run with -vv to see Ray's log of it"
    )

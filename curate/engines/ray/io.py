"""Stage tables in and out of Ray: local paths or any fsspec URL.

Workers read the input table themselves (:class:`LiveRows`, a Ray Data datasource over
the table's row groups), so record text never has to pass through the driver to reach
them. Every row read carries ``_row``, its position in the file: results are put back in
input order by it, whatever order Ray ran the work in. A stage table is one Parquet file
written by :class:`TableWriter` under a temporary name and renamed when complete, the
layout the local engine writes."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq
from typing_extensions import Self

from curate.errors import InputError, StageError
from curate.records import DROP_COLUMN, live
from curate.store import atomic_path

#: the column holding a row's position in its table (never written to a stage table)
ROW = "_row"
#: rows per row group of the tables written here (what the local engine's global stages use)
ROW_GROUP = 5000


def is_url(path: str | os.PathLike[str]) -> bool:
    s = os.fspath(path)
    return "://" in s or "::" in s


def resolve(path: str | os.PathLike[str]) -> tuple[pafs.FileSystem, str]:
    """A pyarrow file system and the path inside it. Local paths and ``file://`` URLs are
    read by pyarrow directly; any other URL through fsspec (``s3://``, ``gs://``, ``abfs://``,
    ``hdfs://``, ... with the matching fsspec package installed)."""
    s = os.fspath(path)
    if not is_url(s):
        return pafs.LocalFileSystem(), os.path.abspath(s)
    if s.startswith("file://"):
        return pafs.LocalFileSystem(), s[len("file://") :]
    import fsspec

    try:
        fs, inner = fsspec.core.url_to_fs(s)
    except (ImportError, ValueError) as exc:
        raise InputError(f"{s}: cannot open this URL ({exc})") from None
    return pafs.PyFileSystem(pafs.FSSpecHandler(fs)), inner


@contextlib.contextmanager
def open_parquet(path: str | os.PathLike[str]) -> Iterator[pq.ParquetFile]:
    fs, p = resolve(path)
    try:
        fh = fs.open_input_file(p)
    except FileNotFoundError:
        raise InputError(f"{os.fspath(path)}: no such table") from None
    try:
        yield pq.ParquetFile(fh)
    finally:
        fh.close()


def live_rows(path: str | os.PathLike[str]) -> np.ndarray:
    """Positions (int64, ascending) of the live rows of a stage table: ``drop_reason``
    null, or every row of a table without that column. Reads one small column."""
    with open_parquet(path) as pf:
        n = pf.metadata.num_rows
        if DROP_COLUMN not in pf.schema_arrow.names:
            return np.arange(n, dtype=np.int64)
        col = pf.read(columns=[DROP_COLUMN]).column(DROP_COLUMN)
    return np.flatnonzero(_mask(pc.is_null(col))).astype(np.int64)


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return values.to_numpy(zero_copy_only=False).astype(bool, copy=False)


def live_scan(path: str | os.PathLike[str]) -> pl.LazyFrame:
    """The live rows of a stage table as a polars LazyFrame (for the driver's reads of
    small columns), without ``drop_reason``."""
    if is_url(path) and not os.fspath(path).startswith("file://"):
        import pyarrow.dataset as pads

        fs, p = resolve(path)
        lf = pl.scan_pyarrow_dataset(pads.dataset(p, filesystem=fs, format="parquet"))
    else:
        s = os.fspath(path)
        lf = pl.scan_parquet(s.removeprefix("file://"))
    return live(lf)


# -- reading through Ray Data -----------------------------------------------------------------


def _block_metadata(num_rows: int, size_bytes: int, path: str) -> Any:
    """A BlockMetadata for this Ray version (its fields changed across releases)."""
    from ray.data.block import BlockMetadata

    names = {f.name for f in dataclasses.fields(BlockMetadata)}
    kwargs: dict[str, Any] = {"num_rows": num_rows, "size_bytes": size_bytes, "input_files": [path], "exec_stats": None}
    if "schema" in names:
        kwargs["schema"] = None
    return BlockMetadata(**{k: v for k, v in kwargs.items() if k in names})


def _read_chunk(
    path: str, groups: list[int], row0: int, columns: list[str] | None, live: bool,
    block_rows: int, rows: np.ndarray | None,
) -> Iterator[pa.Table]:
    """Read row groups ``groups`` (whose first row is ``row0``) in blocks of ``block_rows``
    rows, with ``_row``; only live rows, and only ``rows`` when given."""
    with open_parquet(path) as pf:
        names = pf.schema_arrow.names
        has_drop = live and DROP_COLUMN in names
        cols = None if columns is None else [c for c in columns if c in names]
        read_cols = cols if cols is None or not has_drop or DROP_COLUMN in cols else cols + [DROP_COLUMN]
        start = row0
        for rb in pf.iter_batches(batch_size=block_rows, row_groups=groups, columns=read_cols, use_threads=False):
            n = rb.num_rows
            pos = np.arange(start, start + n, dtype=np.int64)
            start += n
            tbl = pa.Table.from_batches([rb])
            keep = None
            if has_drop:
                keep = _mask(pc.is_null(tbl.column(DROP_COLUMN)))
                if cols is None or DROP_COLUMN not in cols:
                    tbl = tbl.drop_columns([DROP_COLUMN])
            if rows is not None:
                want = np.isin(pos, rows, assume_unique=True)
                keep = want if keep is None else keep & want
            if keep is not None:
                if not keep.any():
                    continue
                if not keep.all():
                    tbl = tbl.filter(pa.array(keep))
                    pos = pos[keep]
            yield tbl.append_column(ROW, pa.array(pos, type=pa.int64()))


def _read_whole(*args: Any) -> Iterator[pa.Table]:
    """:func:`_read_chunk` as one block."""
    parts = list(_read_chunk(*args))
    if parts:
        yield pa.concat_tables(parts)


@dataclasses.dataclass
class ReadPlan:
    """One read task: row groups ``groups`` (the first starting at row ``row0``), only
    ``rows`` of them when given, as one block when ``whole``."""

    groups: list[int]
    row0: int
    rows: np.ndarray | None
    num_rows: int
    size_bytes: int
    whole: bool = False


def plan_reads(groups: list[tuple[int, int]], rows: np.ndarray | None, chunks: np.ndarray | None) -> list[ReadPlan]:
    """The read tasks of a table whose row groups have ``(rows, bytes)`` ``groups``: one per
    row group, or one per chunk (rows from one chunk start to the next) when ``chunks``."""
    starts = np.cumsum([0] + [n for n, _ in groups]).astype(np.int64)
    plans: list[ReadPlan] = []
    if chunks is None:
        for g, (n, size) in enumerate(groups):
            mine = None
            if rows is not None:
                mine = rows[(rows >= starts[g]) & (rows < starts[g + 1])]
                if mine.size == 0:
                    continue
            plans.append(ReadPlan([g], int(starts[g]), mine, int(n if mine is None else mine.size), int(size)))
    else:
        every = rows if rows is not None else np.arange(starts[-1], dtype=np.int64)
        bounds = np.append(chunks, starts[-1])
        for lo, hi in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            mine = every[(every >= lo) & (every < hi)]
            if mine.size == 0:
                continue
            first = int(np.searchsorted(starts, lo, side="right")) - 1
            last = int(np.searchsorted(starts, hi, side="left"))
            span = list(range(first, last))
            plans.append(ReadPlan(span, int(starts[first]), mine, int(mine.size), int(sum(groups[g][1] for g in span)), True))
    if not plans:  # nothing to read: one task that yields nothing
        plans.append(ReadPlan([], 0, np.zeros(0, np.int64), 0, 0))
    return plans


def _datasource_class():
    from ray.data.datasource import Datasource, ReadTask

    class LiveRows(Datasource):
        """The rows of one stage table with ``_row``: a read task per row group (or per
        chunk), each streaming out blocks as it reads."""

        def __init__(self, path: str, columns: Sequence[str] | None, live: bool, block_rows: int, rows: np.ndarray | None,
                     chunks: np.ndarray | None):
            super().__init__()
            self.path = path
            self.columns = list(columns) if columns is not None else None
            self.live = live
            self.block_rows = max(1, int(block_rows))
            with open_parquet(path) as pf:
                md = pf.metadata
            groups = [(md.row_group(i).num_rows, md.row_group(i).total_byte_size) for i in range(md.num_row_groups)]
            self.plan = plan_reads(
                groups,
                None if rows is None else np.unique(np.asarray(rows, dtype=np.int64)),
                None if chunks is None else np.unique(np.asarray(chunks, dtype=np.int64)),
            )

        def estimate_inmemory_data_size(self) -> int | None:
            return int(sum(p.size_bytes for p in self.plan))

        def get_read_tasks(self, parallelism: int, per_task_row_limit: int | None = None, data_context: Any = None):
            # the plan, whatever the parallelism asked: read_rows asks for exactly as many
            # blocks, so Ray does not cut the tasks' blocks further
            return [
                ReadTask(
                    functools.partial(_read_whole if p.whole else _read_chunk, self.path, p.groups, p.row0, self.columns,
                                      self.live, self.block_rows, p.rows),
                    _block_metadata(p.num_rows, p.size_bytes, self.path),
                )
                for p in self.plan
            ]

    return LiveRows


def read_rows(
    path: str | os.PathLike[str],
    columns: Sequence[str] | None = None,
    *,
    block_rows: int = 1024,
    rows: np.ndarray | None = None,
    chunks: np.ndarray | None = None,
    live: bool = True,
    num_cpus: float = 0,
    concurrency: int | None = None,
) -> Any:
    """A Ray Dataset of a stage table's live rows (``columns``, or all) plus ``_row``;
    ``rows``: only these positions. ``chunks``: positions where a chunk starts; each chunk's
    rows then form exactly one block (blocks are not split by size), so a ``map_batches``
    with ``batch_size=None`` sees whole chunks.

    ``num_cpus``/``concurrency``: the read tasks' resources. Before a task map, give the
    map's (its CPUs and task pool size): Ray then fuses reading into the map's tasks. Before
    an actor pool, keep no CPU (reading is light, and actors sized to the cluster must not
    starve it) and a small concurrency (each read task is a worker process)."""
    import ray.data

    source = _datasource_class()(os.fspath(path), columns, live, block_rows, rows, chunks)
    if concurrency and not num_cpus:  # reads of their own: never more than there are
        concurrency = min(concurrency, len(source.plan))
    extra: dict[str, Any] = {"concurrency": concurrency} if concurrency else {}
    ds = ray.data.read_datasource(source, num_cpus=num_cpus, override_num_blocks=len(source.plan), **extra)
    if chunks is not None:
        ds.context.target_max_block_size = None
    return ds


def read_concurrency(actors: int) -> int:
    """Read tasks at once in front of ``actors`` actors: a read task keeps many actors fed."""
    return max(2, actors // 8)


def ordered(batches: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """Batches of a dataset run with ordered output, checked: ``_row`` must increase from
    one row to the next, so a result can never be written out of input order."""
    last = -1
    for tbl in batches:
        if tbl.num_rows == 0:
            continue
        rows = tbl.column(ROW).to_numpy()
        if rows[0] <= last or (rows.size > 1 and not bool(np.all(rows[1:] > rows[:-1]))):
            raise StageError("the ray engine received rows out of input order; the stage table was not written")
        last = int(rows[-1])
        yield tbl


# -- writing ---------------------------------------------------------------------------------


def _canonical(table: pa.Table | pl.DataFrame) -> pa.Table:
    """The Arrow types polars writes (large strings and lists), so a table written here has
    the schema the local engine writes."""
    df = table if isinstance(table, pl.DataFrame) else pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df.to_arrow()


class TableWriter:
    """One stage table, written under a temporary name and renamed when complete (local
    paths through :func:`curate.store.atomic_path`; a URL's temporary object is moved)."""

    def __init__(self, path: str | os.PathLike[str], row_group_size: int = ROW_GROUP):
        self.path = path
        self.row_group_size = row_group_size
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None

    def __enter__(self) -> Self:
        if is_url(self.path) and not os.fspath(self.path).startswith("file://"):
            self._fs, final = resolve(self.path)
            parent, _, name = final.rpartition("/")
            self._final = final
            self._tmp = f"{parent}/.{name}.{uuid.uuid4().hex}.tmp" if parent else f".{name}.{uuid.uuid4().hex}.tmp"
            self._sink: Any = self._fs.open_output_stream(self._tmp)
            self._cm = None
        else:
            s = os.fspath(self.path)
            self._cm = atomic_path(Path(s.removeprefix("file://")))
            self._sink = os.fspath(self._cm.__enter__())
        return self

    def write(self, table: pa.Table | pl.DataFrame) -> None:
        tbl = _canonical(table)
        if self._writer is None:
            self._schema = tbl.schema
            self._writer = pq.ParquetWriter(self._sink, tbl.schema, compression="zstd")
        elif not tbl.schema.equals(self._schema):
            try:
                tbl = tbl.select(self._schema.names).cast(self._schema)
            except (pa.ArrowInvalid, KeyError, ValueError) as exc:
                raise StageError(f"a batch's columns differ from the first batch's: {exc}") from None
        self._writer.write_table(tbl, row_group_size=self.row_group_size)
        self.rows += tbl.num_rows

    def __exit__(self, exc_type, exc, tb) -> None:
        failed = None  # closing writes the footer: a full disk may show up only here
        if self._writer is not None:
            try:
                self._writer.close()
            except (OSError, pa.ArrowException) as close_exc:
                failed = close_exc
        if exc is None and failed is not None:
            exc_type, exc, tb = type(failed), failed, failed.__traceback__
        if self._cm is not None:
            self._cm.__exit__(exc_type, exc, tb)  # renames; on an error removes, may raise WriteError
        else:
            self._sink.close()
            if exc is None:
                self._fs.move(self._tmp, self._final)
            else:
                with contextlib.suppress(OSError):
                    self._fs.delete_file(self._tmp)
        if failed is not None and exc is failed:
            raise failed

"""Decontamination: leave out training examples that overlap an evaluation or benchmark
set, by word n-gram overlap (as GPT-3 and most data papers do).

Texts are NFKC-normalised, lower-cased and split into words (``\\w+``); an example's
n-grams are hashed and joined with the benchmark's, all in polars (Rust), so a large
benchmark or export is never split into n-grams in Python. An example is contaminated
when it shares at least ``min_shared`` n-grams and at least ``min_fraction`` of its own.
A text shorter than n words cannot share an n-gram, so short texts are also compared
whole (an exact match of the normalised text counts as contaminated).

The same index measures leakage between the splits after they are made (eval examples
whose n-grams mostly occur in train)."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from curate.errors import InputError

_WORD = re.compile(r"\w+", re.UNICODE)
_WORD_PATTERN = r"\w+"
#: the shortest text (in words) compared whole when it is shorter than n
MIN_WHOLE_WORDS = 4


def words(text: str) -> list[str]:
    """The words of a text as the index sees them (NFKC, lower case, ``\\w+``)."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


def _words_frame(texts: list[str], owners: list[int]) -> pl.DataFrame:
    """One row per text: its owner (an example or a benchmark row) and its words."""
    return (
        pl.DataFrame({"owner": owners, "text": texts}, schema={"owner": pl.Int64, "text": pl.Utf8})
        .with_row_index("t")
        .with_columns(pl.col("text").str.normalize("NFKC").str.to_lowercase().str.extract_all(_WORD_PATTERN).alias("w"))
        .with_columns(pl.col("w").list.len().alias("len"))
        .drop("text")
        .filter(pl.col("len") > 0)
    )


def _splitmix(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


_MULT = [_splitmix(k) | 1 for k in range(64)]


def _grams(wf: pl.DataFrame, n: int) -> pl.DataFrame:
    """(t, owner, gram): the distinct word n-grams of each text, hashed (in Rust: the
    texts are never split into n-grams in Python)."""
    long = wf.filter(pl.col("len") >= n).select("t", "owner", "w").explode("w")
    if long.height == 0:
        return pl.DataFrame(schema={"t": pl.UInt32, "owner": pl.Int64, "gram": pl.UInt64})
    # an n-gram's hash: the word hashes combined with a fixed odd multiplier per position
    # (u64 arithmetic wraps), which spares building n-gram strings
    hw = pl.col("w").hash()
    gram = hw * pl.lit(_MULT[0], dtype=pl.UInt64)
    for k in range(1, n):
        gram = gram + hw.shift(-k) * pl.lit(_MULT[k], dtype=pl.UInt64)
    return (
        long.with_columns(
            gram.alias("gram"),
            (pl.col("t").shift(-(n - 1)) == pl.col("t")).alias("full"),
        )
        .filter(pl.col("full"))
        .select("t", "owner", "gram")
        .unique(["t", "gram"])
    )


def _wholes(wf: pl.DataFrame, n: int) -> pl.DataFrame:
    """(t, owner, whole): texts too short for an n-gram, compared whole."""
    short = wf.filter((pl.col("len") < n) & (pl.col("len") >= MIN_WHOLE_WORDS))
    return short.select("t", "owner", pl.col("w").list.join("\x1f").hash().alias("whole"))


@dataclass(frozen=True)
class Match:
    shared: int
    total: int
    where: str  # the first benchmark row (file:row) that shares an n-gram

    @property
    def fraction(self) -> float:
        return self.shared / self.total if self.total else 1.0


class NgramIndex:
    """The n-grams of a set of texts (a benchmark, the train split), each remembering the
    first place it came from. Hashes are computed by polars in this process only."""

    def __init__(self, n: int):
        self.n = n
        self._texts: list[str] = []
        self._where: list[str] = []
        self._grams: pl.DataFrame | None = None
        self._wholes: pl.DataFrame | None = None

    def add(self, text: str, where: str) -> None:
        self._texts.append(text)
        self._where.append(where)
        self._grams = None

    def add_many(self, texts: list[str], where: list[str]) -> None:
        self._texts.extend(texts)
        self._where.extend(where)
        self._grams = None

    @property
    def texts(self) -> int:
        """How many texts with words the index holds."""
        self._build()
        return self._count

    def _build(self) -> None:
        if self._grams is not None:
            return
        wf = _words_frame(self._texts, list(range(len(self._texts))))
        self._count = wf.height
        self._grams = _grams(wf, self.n).group_by("gram").agg(pl.col("owner").min().alias("src"))
        self._wholes = _wholes(wf, self.n).group_by("whole").agg(pl.col("owner").min().alias("src"))

    def match_many(self, examples: list[list[str]]) -> list[Match | None]:
        """The overlap of each example (its texts, e.g. its turns) with the index."""
        self._build()
        assert self._grams is not None and self._wholes is not None
        texts = [t for ex in examples for t in ex]
        owners = [i for i, ex in enumerate(examples) for _ in ex]
        wf = _words_frame(texts, owners)
        g = _grams(wf, self.n).join(self._grams, on="gram", how="left")
        w = _wholes(wf, self.n).join(self._wholes, on="whole", how="left")
        both = pl.concat([g.select("owner", "src"), w.select("owner", "src")])
        per = (
            both.group_by("owner")
            .agg(pl.len().alias("total"), pl.col("src").count().alias("shared"), pl.col("src").min().alias("src"))
            .filter(pl.col("shared") > 0)
        )
        out: list[Match | None] = [None] * len(examples)
        for owner, total, shared, src in per.iter_rows():
            out[owner] = Match(int(shared), int(total), self._where[src])
        return out

    def match(self, texts: Iterable[str]) -> Match | None:
        return self.match_many([list(texts)])[0]


# -- reading benchmark files ---------------------------------------------------------------


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def _row_texts(row: Any, fields: list[str] | None) -> Iterator[str]:
    if fields is None or not isinstance(row, dict):
        yield from _strings(row)
        return
    for f in fields:
        cur: Any = row
        for part in f.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        yield from _strings(cur)


def benchmark_rows(path: Path) -> Iterator[tuple[int, Any]]:
    """(row number, row) of a benchmark file; row numbers are 1-based lines for text
    formats."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        raise InputError(f"{path}: compressed benchmark files are not supported; decompress it first")
    try:
        if suffix in (".jsonl", ".ndjson"):
            with open(path, encoding="utf-8-sig") as fh:
                for n, line in enumerate(fh, start=1):
                    if line.strip():
                        try:
                            yield n, json.loads(line)
                        except json.JSONDecodeError as exc:
                            raise InputError(f"{path}:{n}: invalid JSON: {exc.msg}") from None
        elif suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8-sig"))
            items = data if isinstance(data, list) else [data]
            yield from enumerate(items, start=1)
        elif suffix in (".csv", ".tsv"):
            text = path.read_text(encoding="utf-8-sig")
            reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
            for n, row in enumerate(reader, start=2):
                yield n, row
        elif suffix == ".parquet":
            import polars as pl

            for n, row in enumerate(pl.read_parquet(path).iter_rows(named=True), start=1):
                yield n, row
        else:  # plain text: one item per line
            with open(path, encoding="utf-8-sig") as fh:
                for n, line in enumerate(fh, start=1):
                    if line.strip():
                        yield n, line
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: invalid JSON: {exc.msg} (line {exc.lineno})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def build_index(files: list[Path], n: int, fields: list[str] | None = None) -> NgramIndex:
    index = NgramIndex(n)
    for path in files:
        if not path.is_file():
            raise InputError(f"decontaminate: {path}: file not found")
        texts: list[str] = []
        where: list[str] = []
        for row_no, row in benchmark_rows(path):
            for text in _row_texts(row, fields):
                texts.append(text)
                where.append(f"{path.name}:{row_no}")
        index.add_many(texts, where)
    return index


def is_contaminated(m: Match | None, min_shared: int, min_fraction: float) -> bool:
    return m is not None and m.shared >= min_shared and m.fraction >= min_fraction

"""Decontamination: leave out training examples that overlap an evaluation or benchmark
set, by word n-gram overlap (as GPT-3 and most data papers do).

Texts are NFKC-normalised, case-folded and split into words (``\\w+``); an example's
n-grams are hashed (xxh3-64) and looked up in the benchmark's. An example is contaminated
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

import xxhash

from curate.errors import InputError

_WORD = re.compile(r"\w+", re.UNICODE)
#: the shortest text (in words) compared whole when it is shorter than n
MIN_WHOLE_WORDS = 4


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def ngram_hashes(tokens: list[str], n: int) -> set[int]:
    if len(tokens) < n:
        return set()
    h = xxhash.xxh3_64_intdigest
    return {h(" ".join(tokens[i : i + n]).encode("utf-8")) for i in range(len(tokens) - n + 1)}


def _whole(tokens: list[str]) -> int:
    return xxhash.xxh3_64_intdigest("\x1f".join(tokens).encode("utf-8"))


@dataclass(frozen=True)
class Match:
    shared: int
    total: int
    where: str  # benchmark file:row of the first shared n-gram

    @property
    def fraction(self) -> float:
        return self.shared / self.total if self.total else 1.0


class NgramIndex:
    """n-gram hashes of a set of texts, each remembering the first place it came from."""

    def __init__(self, n: int):
        self.n = n
        self.grams: dict[int, str] = {}
        self.wholes: dict[int, str] = {}
        self.texts = 0

    def add(self, text: str, where: str) -> None:
        toks = words(text)
        if not toks:
            return
        self.texts += 1
        for g in ngram_hashes(toks, self.n):
            self.grams.setdefault(g, where)
        if len(toks) >= MIN_WHOLE_WORDS:
            self.wholes.setdefault(_whole(toks), where)

    def match(self, texts: Iterable[str]) -> Match | None:
        """Overlap of an example (its texts, e.g. its turns) with the index."""
        shared = total = 0
        where: str | None = None
        for text in texts:
            toks = words(text)
            if not toks:
                continue
            if len(toks) < self.n:
                if len(toks) >= MIN_WHOLE_WORDS:
                    total += 1
                    w = self.wholes.get(_whole(toks))
                    if w is not None:
                        shared += 1
                        where = where or w
                continue
            grams = ngram_hashes(toks, self.n)
            total += len(grams)
            for g in grams:
                w = self.grams.get(g)
                if w is not None:
                    shared += 1
                    where = where or w
        if not shared:
            return None
        return Match(shared, total, where or "")


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
        for row_no, row in benchmark_rows(path):
            for text in _row_texts(row, fields):
                index.add(text, f"{path.name}:{row_no}")
    return index


def is_contaminated(m: Match | None, min_shared: int, min_fraction: float) -> bool:
    return m is not None and m.shared >= min_shared and m.fraction >= min_fraction

"""Records with expert work come first in their duplicate group, whatever the keep policy."""

from __future__ import annotations

import numpy as np
import polars as pl

from curate.dedupe.config import DedupeConfig
from curate.dedupe.finder import find_duplicates
from curate.dedupe.policy import preferred_first


def test_preferred_first_keeps_each_sides_order():
    rank = np.array([0, 1, 2, 3, 4])
    out = preferred_first(rank, np.array([False, False, True, False, True]))
    assert out.tolist() == [2, 3, 0, 4, 1]


def test_a_labeled_record_keeps_its_group_against_an_earlier_longer_copy():
    text = "My order 4711 never arrived, can you check where the parcel is?"
    df = pl.DataFrame({"id": ["copy", "labeled", "other"],
                       "text": [text + " Please, it is urgent, thanks a lot.", text, "How do I reset my password?"]})
    cfg = DedupeConfig(keep="longest", threshold=0.5)
    plain = find_duplicates(df, cfg).frame.sort("id")
    assert plain.filter(pl.col("id") == "labeled")["drop_reason"].item() == "near_duplicate"
    kept = find_duplicates(df, cfg, prefer=frozenset({"labeled"})).frame.sort("id")
    assert kept.filter(pl.col("id") == "labeled")["drop_reason"].item() is None
    assert kept.filter(pl.col("id") == "copy")["drop_reason"].item() == "near_duplicate"

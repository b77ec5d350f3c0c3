"""Connected components of linked pairs."""

from __future__ import annotations

import numpy as np

from curate.components import components


def test_components_numbered_by_smallest_member() -> None:
    labels = components(7, np.array([(5, 6), (1, 3), (3, 4)]))
    assert labels.tolist() == [0, 1, 2, 1, 1, 3, 3]
    assert components(3, np.zeros((0, 2), np.int64)).tolist() == [0, 1, 2]
    # the same partition whatever the order of the pairs and of their ends
    assert components(7, np.array([(4, 3), (6, 5), (3, 1)])).tolist() == labels.tolist()

"""Messages grouped into threads, and a thread's subject."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from curate.sources.email.parse import Mail

# "\s*(\[n\]\s*)?" rather than "\s*(\[n\])?\s*": two quantifiers over the same spaces were
# quadratic on a run of them
_SUBJECT_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|wg|sv|vs|antw|tr|rif|ref)\s*(?:\[\d+\]\s*)?:\s*)+", re.IGNORECASE)


def thread_subject(subject: str) -> str:
    return _SUBJECT_PREFIX.sub("", subject).strip()


# -- threading ---------------------------------------------------------------------------


def group_threads(mails: list[Mail]) -> list[list[Mail]]:
    """Connected components over Message-ID, In-Reply-To and References (a missing parent
    still links its replies). Each thread is sorted by date, then by reading order."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        root = x
        while parent.setdefault(root, root) != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for m in mails:
        a = find(m.key)
        for p in m.parents:
            b = find(p)
            if a != b:
                parent[b] = a
    groups: dict[str, list[Mail]] = {}
    for m in mails:
        groups.setdefault(find(m.key), []).append(m)
    far = datetime.max.replace(tzinfo=timezone.utc)
    threads = [sorted(g, key=lambda m: (m.date or far, m.order)) for g in groups.values()]
    threads.sort(key=lambda t: min(m.order for m in t))
    return threads

"""The walking order of bin labels.

A bin code is zone-aisle-level (`A-01-02`, server/demo/sites.py): a picker walks zone by zone, down
each aisle, shelf level by level. Sorting the parts, numbers as numbers, gives that path (`A-2-1`
comes before `A-10-1`); a label that does not follow the pattern still sorts, after its zone's
numbered bins.
"""

from __future__ import annotations

import re
from functools import cache

_PARTS = re.compile(r"[-_./\s]+")

WalkKey = tuple[tuple[int, int, str], ...]


@cache  # a warehouse has a few thousand labels; a wave build sorts by them tens of thousands of times
def walk_key(code: str) -> WalkKey:
    """Sort key of a bin label along the walking path. An unknown bin ("") walks last."""
    if not code:
        return ((2, 0, ""),)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p.upper()) for p in _PARTS.split(code) if p)

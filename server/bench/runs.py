"""A benchmark run several times: the figures a README quotes are the median, with the spread.

One run on a 2-core machine swings by a third with whatever else the machine does; the median of
three, with the lowest and highest beside it, is what someone else gets on this kind of machine.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from typing import Any

from server.bench.harness import table

# Figures where one bad run is the answer (nothing may be oversold, no 5xx, the ledger must verify).
WORST_OF = {"oversold": max, "server_errors_5xx": max, "single_errors": max, "verify_ok": all}


def repeat(run: Callable[[], dict[str, Any]], runs: int, shown: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Run `run` (which prints its own table and JSON line) `runs` times; print a table of the
    median and range of each `shown` figure (key, label), then one JSON line: every numeric figure's
    median, its `<key>_range` [lowest, highest], the worst of the must-be-clean figures, `runs`."""
    results = [run() for _ in range(runs)]
    if runs == 1:
        return results[0]
    summary: dict[str, Any] = {}
    for key, value in results[0].items():
        values = [r[key] for r in results]
        if key in WORST_OF:
            summary[key] = WORST_OF[key](values)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            summary[key] = value
        else:
            summary[key] = statistics.median(values)
            summary[f"{key}_range"] = [min(values), max(values)]
    summary["runs"] = runs
    rows = [("measure", f"median of {runs}", "lowest - highest")]
    for key, label in shown:
        low, high = summary[f"{key}_range"]
        rows.append((label, f"{summary[key]:,.1f}", f"{low:,.1f} - {high:,.1f}"))
    print(table(rows))
    print(json.dumps(summary))
    return summary

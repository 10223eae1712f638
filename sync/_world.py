"""The seam between the judging rules and the server: a read-only view of the ledger.

The server implements `WorldView` over its database (inside the push transaction, so a rule sees
the effects of every op judged before it, including earlier ops of the same batch); the reference
server implements it over dicts. Rules never write: they return effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

__all__ = ["DEFAULT_POLICY", "OrderView", "PickView", "Policy", "WorldView"]


class OrderView(NamedTuple):
    status: str  # the canonical order status: pending, allocated, ..., delivered, cancelled
    cod_amount: int  # centavos to collect; 0 for prepaid


class PickView(NamedTuple):
    """What a pick is checked against: the order's units by SKU (bundle components, as reserved),
    the units already picked for it by SKU, and the bins its pick list plans for each SKU."""

    lines: dict[str, int]
    picked: dict[str, int]
    plan: dict[str, frozenset[str]]  # SKU -> planned bins; a SKU absent is not planned anywhere


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds a seller may tune. Integers only: no float ever touches stock or money."""

    # A count differing from what the ledger believed by more than this many units AND more than
    # this percent of the belief raises count_variance. Small drift is normal; big drift is theft,
    # mis-picks or a wrong bin.
    count_variance_units: int = 2
    count_variance_percent: int = 10
    # A count beyond that threshold is held, not applied: the server asks for a recount and a
    # supervisor approves it before it changes stock (the Bodega server judges with this on unless
    # the seller turns it off). False applies such a count at once, flagged: what a supervisor's
    # approval does, and what the reference model and the R7 arrival-order properties check.
    hold_variances: bool = False


DEFAULT_POLICY = Policy()


class WorldView(Protocol):
    def order(self, order_id: str, /) -> OrderView | None:
        """The order as the server has it now, or None if there is no such order."""
        ...

    def pick_view(self, order_id: str, /) -> PickView | None:
        """The order's lines, picks so far and planned bins; None when it holds no units to pick
        (unknown, not allocated to a warehouse, cancelled): nothing to check a pick against."""
        ...

    def delivered_by(self, waybill: str, /) -> str | None:
        """The device whose delivered attempt for this parcel was applied first, if any."""
        ...

    def bin_qty(self, wh: str, bin: str, sku: str, /) -> int:
        """Units on hand in the bin now (may be negative: see the pick rule)."""
        ...

    def last_count_at(self, wh: str, bin: str, sku: str, /) -> str | None:
        """The greatest event key of any count of this SKU in this bin, or None if never counted."""
        ...

    def moved_after(self, wh: str, bin: str, sku: str, at: str, /) -> int:
        """Sum of the bin's stock deltas whose event key is greater than `at`."""
        ...

    def cash_on_hand(self, holder: str, /) -> int:
        """Centavos the holder has in hand: collected minus remitted."""
        ...

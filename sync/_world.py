"""The seam between the judging rules and the server: a read-only view of the ledger.

The server implements `WorldView` over its database (inside the push transaction, so a rule sees
the effects of every op judged before it, including earlier ops of the same batch); the reference
server implements it over dicts. Rules never write: they return effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

__all__ = ["DEFAULT_POLICY", "OrderView", "Policy", "WorldView"]


class OrderView(NamedTuple):
    status: str  # the canonical order status: pending, allocated, ..., delivered, cancelled
    cod_amount: int  # centavos to collect; 0 for prepaid


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds a seller may tune. Integers only: no float ever touches stock or money."""

    # A count differing from what the ledger believed by more than this many units AND more than
    # this percent of the belief raises count_variance. Small drift is normal; big drift is theft,
    # mis-picks or a wrong bin.
    count_variance_units: int = 2
    count_variance_percent: int = 10


DEFAULT_POLICY = Policy()


class WorldView(Protocol):
    def order(self, order_id: str, /) -> OrderView | None:
        """The order as the server has it now, or None if there is no such order."""
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

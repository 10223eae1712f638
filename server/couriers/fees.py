"""A courier's COD fee contract and remittance cycle: pure arithmetic, no database.

Everything is integer centavos and basis points (1 bp = 0.01%, 10,000 bp = 100%). The rule, in the
order a courier's statement applies it:

    base   = collected x percent_bp / 10,000, rounded half up to the centavo
    fee    = max(base, minimum) + flat          (0 when nothing was collected)
    vat    = fee x vat_bp / 10,000, rounded half up to the centavo
    allowed = fee + vat

Half up on non-negative integers is `(x * bp + 5_000) // 10_000`: no floats anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

BP = 10_000


def share(amount: int, bp: int) -> int:
    """`amount` x `bp` / 10,000 rounded half up to the centavo (amount, bp >= 0)."""
    return (amount * bp + BP // 2) // BP


@dataclass(frozen=True)
class FeeRule:
    percent_bp: int = 0
    minimum: int = 0
    flat: int = 0
    vat_bp: int = 0

    def allowed(self, collected: int) -> int:
        """The most the contract lets the courier keep out of `collected` centavos, VAT included."""
        if collected <= 0:
            return 0
        fee = max(share(collected, self.percent_bp), self.minimum) + self.flat
        return fee + share(fee, self.vat_bp)


@dataclass(frozen=True)
class Cycle:
    """When a courier remits: every N days after delivery, or weekly on a weekday (0 = Monday)."""

    kind: str = "every_n_days"  # | weekly
    days: int = 7
    weekday: int = 4

    def due(self, delivered: date) -> date:
        """The day the COD of a parcel delivered on `delivered` (Manila date) should be remitted."""
        if self.kind == "weekly":
            ahead = (self.weekday - delivered.weekday()) % 7 or 7  # the next one, never the same day
            return delivered + timedelta(days=ahead)
        return delivered + timedelta(days=self.days)

    def overdue(self, delivered: date, today: date, grace_days: int) -> bool:
        """Delivered but not remitted after the due day and the grace days."""
        return today > self.due(delivered) + timedelta(days=grace_days)

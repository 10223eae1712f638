"""What judging an op produces: effects for the server to write, and the outcome to answer with.

Effects are plain data. The server turns each into ledger rows in the same transaction that journals
the op and moves the device's high-water mark; the in-memory reference server does the same to dicts.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

__all__ = [
    "STAGING",
    "BinCounted",
    "CashEntry",
    "Decision",
    "DeliveryRecord",
    "Effect",
    "Flag",
    "OrderEvent",
    "Outcome",
    "ProofLink",
    "StockDelta",
    "decide",
    "reject",
]

# The warehouse's un-binned location: picked units waiting to be packed and shipped. It is part of
# the warehouse's on hand (a pick moves stock, it does not remove it) and is never cycle-counted.
STAGING = ""

StockKind = Literal["receive", "put_away", "pick", "ship", "count", "return"]
CashKind = Literal["collected", "remitted", "received"]


class StockDelta(Struct, frozen=True, tag="stock"):
    """Units of a SKU added to (qty > 0) or taken from (qty < 0) one bin, as a ledger row."""

    wh: str
    bin: str  # a bin id, or STAGING
    sku: str
    qty: int
    kind: StockKind
    at: str  # event key (HLC + origin) of the fact it records: the count rule orders by it
    note: str = ""


class BinCounted(Struct, frozen=True, tag="counted"):
    """A count was taken. The server keeps, per bin and SKU, the greatest `at` of any count."""

    wh: str
    bin: str
    sku: str
    counted: int
    at: str


class CashEntry(Struct, frozen=True, tag="cash"):
    """Centavos added to (amount > 0) or taken from (amount < 0) what a holder has in hand."""

    holder: str  # a rider (user id), or whoever received a remittance
    amount: int
    kind: CashKind
    order: str = ""
    ref: str = ""


class OrderEvent(Struct, frozen=True, tag="order"):
    """Ask the order state machine to move the order; it records the fact even when it refuses."""

    order: str
    status: str  # picking | packed | shipped | delivered | failed_delivery | returned
    reason: str = ""


class DeliveryRecord(Struct, frozen=True, tag="delivery"):
    """One delivery attempt, as reported. `counts` is False for a delivery already made by another."""

    order: str
    waybill: str
    outcome: str
    device: str
    reason: str = ""
    counts: bool = True


class ProofLink(Struct, frozen=True, tag="proof"):
    order: str
    blob: str  # sha256 of the blob; the blob may arrive later, the link is recorded now
    kind: str
    waybill: str = ""


class Flag(Struct, frozen=True, tag="flag"):
    """An exception for a person to clear: what happened, in a sentence, with what it is about."""

    kind: str
    message: str
    order: str = ""
    wh: str = ""
    bin: str = ""
    sku: str = ""


Effect = StockDelta | BinCounted | CashEntry | OrderEvent | DeliveryRecord | ProofLink | Flag
Outcome = Literal["applied", "flagged", "rejected"]


class Decision(Struct, frozen=True):
    outcome: Outcome
    effects: tuple[Effect, ...] = ()
    reason: str = ""  # rejected: the reason code
    message: str = ""  # rejected: the sentence

    @property
    def flags(self) -> tuple[Flag, ...]:
        return tuple(e for e in self.effects if isinstance(e, Flag))


def decide(*effects: Effect) -> Decision:
    """Flagged as soon as any effect is a Flag: the facts are still recorded either way."""
    for effect in effects:
        if type(effect) is Flag:
            return Decision("flagged", effects)
    return Decision("applied", effects)


def reject(code: str, message: str) -> Decision:
    return Decision("rejected", (), code, message)

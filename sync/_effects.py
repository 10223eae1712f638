"""What judging an op produces: effects for the server to write, and the outcome to answer with.

Effects are plain data. The server turns each into ledger rows in the same transaction that journals
the op and moves the device's high-water mark; the in-memory reference server does the same to dicts.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

__all__ = [
    "QUARANTINE",
    "STAGING",
    "AgainstRef",
    "BinCounted",
    "CashEntry",
    "CountHeld",
    "CountTaskOpen",
    "Decision",
    "DeliveryRecord",
    "Effect",
    "ExceptionAct",
    "Flag",
    "OrderEvent",
    "Outcome",
    "ParcelHandover",
    "ParcelRecord",
    "Picked",
    "ProofLink",
    "PutBackUnits",
    "StockDelta",
    "decide",
    "reject",
]

# The warehouse's un-binned location: picked units waiting to be packed and shipped. It is part of
# the warehouse's on hand (a pick moves stock, it does not remove it) and is never cycle-counted.
STAGING = ""
# The warehouse's quarantine bin: damaged returns wait here. Part of on hand, never sellable (the
# server keeps its units apart from what allocation and the channels may promise).
QUARANTINE = "QUARANTINE"

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


class CountHeld(Struct, frozen=True, tag="held"):
    """A count beyond the seller's variance threshold: kept for a recount and a supervisor's
    approval, not applied. `adjustment` is what applying it would change at the moment it was taken."""

    wh: str
    bin: str
    sku: str
    counted: int
    believed: int
    adjustment: int
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


PickProblem = Literal["", "wrong_item", "over_pick", "wrong_bin"]


class Picked(Struct, frozen=True, tag="picked"):
    """A pick as it happened, for the order's record: `qty` units of a SKU taken off a bin for an
    order (0 on a short pick that found none), `wanted` > qty on a short pick, and what did not match
    the order or its pick list. A wrong item does not count toward the order."""

    order: str
    wh: str
    bin: str
    sku: str
    qty: int
    wanted: int = 0
    problem: PickProblem = ""


class DeliveryRecord(Struct, frozen=True, tag="delivery"):
    """One delivery attempt, as reported. `counts` is False for a delivery already made by another.
    `received_by` (delivered) and `reschedule_on` (failed, a Manila day "YYYY-MM-DD") as the rider
    gave them, with the rider's note."""

    order: str
    waybill: str
    outcome: str
    device: str
    reason: str = ""
    counts: bool = True
    note: str = ""
    received_by: str = ""
    reschedule_on: str = ""


class ProofLink(Struct, frozen=True, tag="proof"):
    order: str
    blob: str  # sha256 of the blob; the blob may arrive later, the link is recorded now
    kind: str
    waybill: str = ""


class ParcelRecord(Struct, frozen=True, tag="parcel"):
    """A parcel packed: the server checks `lines` against the order, issues the waybill when it is
    "" and moves the order to packed; a refusal there becomes a flag (the fact stays recorded)."""

    order: str
    wh: str
    waybill: str
    lines: tuple[tuple[str, int], ...] = ()
    weight_g: int = 0
    parcels: int = 1
    courier: str | None = None  # None: the order's wave's or shop's


class ParcelHandover(Struct, frozen=True, tag="handover"):
    """A parcel scanned into a dispatch batch (`batch` "": the open batch of `to`)."""

    order: str
    wh: str
    waybill: str
    to: str
    batch: str = ""


class AgainstRef(Struct, frozen=True, tag="against"):
    """Units received under a reference (a delivery receipt, PO or inbound shipment): the server
    matches it to what it expected when the reference names a shipment it knows."""

    wh: str
    bin: str
    sku: str
    qty: int
    ref: str


class Flag(Struct, frozen=True, tag="flag"):
    """An exception for a person to clear: what happened, in a sentence, with what it is about."""

    kind: str
    message: str
    order: str = ""
    wh: str = ""
    bin: str = ""
    sku: str = ""
    reason: str = ""  # why, as the person said it (a short pick's reason): part of the evidence


class PutBackUnits(Struct, frozen=True, tag="put_back"):
    """Units of a cancelled order back on a shelf: the server counts them against the order's
    put-back (server/shipping/put_backs.py), which is done once all of them are back."""

    order: str
    wh: str
    sku: str
    qty: int
    bin: str


class ExceptionAct(Struct, frozen=True, tag="exception_act"):
    """A person's decision about an exception: the server runs the action (its own records of
    exceptions are not part of the ledgers the rules see)."""

    exception: str
    action: str
    note: str = ""
    params: dict[str, str | int | bool] = {}


class CountTaskOpen(Struct, frozen=True, tag="count_task_open"):
    """A count task to open, named by the phone's id: the server's count-task writer opens it (or
    finds it already open) and the warehouse phones get it."""

    task: str
    wh: str
    bin: str = ""
    skus: tuple[str, ...] = ()
    title: str = ""


Effect = (
    StockDelta
    | BinCounted
    | CountHeld
    | CashEntry
    | OrderEvent
    | Picked
    | DeliveryRecord
    | ProofLink
    | ParcelRecord
    | ParcelHandover
    | AgainstRef
    | PutBackUnits
    | Flag
    | ExceptionAct
    | CountTaskOpen
)
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

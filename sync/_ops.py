"""The op catalogue: every kind of fact a device can report, its payload, and how old versions upgrade.

Adding an op type is a local change: one payload Struct here, one `_register` line below, one rule
in _rules.py (a test fails until all three exist), and one golden example in fixtures/protocol/ops/.

Payload fields are ids as the device knows them (the server's ids for warehouse, bin, SKU, order)
plus what the person saw or did. Money is integer centavos; quantities are whole units.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from msgspec import Meta, Struct

__all__ = [
    "CATALOGUE",
    "CashCollected",
    "CashCollectedV1",
    "CountTaskCreated",
    "DeliveryAttempted",
    "DeliveryAttemptedV1",
    "ExceptionActed",
    "FailureReason",
    "OpRejected",
    "OpSpec",
    "ParcelHandedOver",
    "ParcelLine",
    "ParcelPacked",
    "ParsedOp",
    "ProofAttached",
    "RemittanceHandedIn",
    "ReturnReceived",
    "SeqSkipped",
    "ShortReason",
    "StockCounted",
    "StockPicked",
    "StockPutAway",
    "StockPutBack",
    "StockReceived",
    "StockShortPicked",
    "StockShortPickedV1",
    "Upgrade",
    "op_type_of",
    "parse_op_type",
    "parse_payload",
]

Ref = Annotated[str, Meta(min_length=1, max_length=64)]
OptionalRef = Annotated[str, Meta(max_length=64)]
Qty = Annotated[int, Meta(gt=0, le=1_000_000)]
Count = Annotated[int, Meta(ge=0, le=1_000_000)]
Centavos = Annotated[int, Meta(ge=0, le=100_000_000_000)]  # up to one billion pesos
CursorText = Annotated[str, Meta(max_length=64)]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
Note = Annotated[str, Meta(max_length=500)]
# An id the phone makes for what it creates (a UUID, with its dashes).
TaskId = Annotated[str, Meta(pattern=r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")]
PersonName = Annotated[str, Meta(max_length=80)]

# Why a delivery attempt failed. Refused-after-inspection is counted apart from a plain refusal:
# it usually means the item did not match the listing, which is the seller's problem, not the buyer's.
FailureReason = Literal[
    "refused",
    "refused_after_inspection",
    "wrong_address",
    "not_home",
    "unreachable",
    "rescheduled",
    "unsafe_area",
    "other",
]


class _Payload(Struct, frozen=True, kw_only=True, omit_defaults=True, forbid_unknown_fields=False):
    """Base for payloads. Unknown fields are ignored, so a newer app's extra data is not an error;
    defaults are left off the wire."""


class StockReceived(_Payload, frozen=True):
    wh: Ref
    bin: Ref  # where the goods were put down (usually a receiving bin)
    sku: Ref
    qty: Qty
    ref: OptionalRef = ""  # delivery receipt, purchase order or inbound shipment


class StockPutAway(_Payload, frozen=True):
    wh: Ref
    sku: Ref
    qty: Qty
    from_bin: Ref
    to_bin: Ref


class StockPicked(_Payload, frozen=True):
    wh: Ref
    bin: Ref
    sku: Ref
    qty: Qty
    order: Ref


# Why a pick came up short, as the picker taps it on the phone (pwa/src/sync/outbound.js).
ShortReason = Literal["empty_bin", "not_enough", "damaged", "not_found"]


class StockShortPicked(_Payload, frozen=True):
    """The picker went to the bin for `wanted` units and found only `found` (picked them all), and
    said why. `reason` is required on the wire; null only stands for a v1 app's short pick, which
    said nothing (an older app's extra `reason` field was never declared, so it was dropped)."""

    wh: Ref
    bin: Ref
    sku: Ref
    order: Ref
    wanted: Qty
    found: Count
    reason: ShortReason | None


class StockShortPickedV1(_Payload, frozen=True):
    """Version 1 had no reason. Kept so phones not yet updated still sync."""

    wh: Ref
    bin: Ref
    sku: Ref
    order: Ref
    wanted: Qty
    found: Count


class StockPutBack(_Payload, frozen=True):
    """Units taken from the warehouse's staging (where picks go) back onto a shelf: a cancelled
    order's picked units (`order` names it, and they count against its put-back), or a wave's
    leftovers (`order` "")."""

    wh: Ref
    sku: Ref
    qty: Qty
    bin: Ref  # the shelf they went back to
    order: OptionalRef = ""


class ParcelLine(Struct, frozen=True, array_like=True):
    sku: Ref
    qty: Qty


class ParcelPacked(_Payload, frozen=True):
    """The packer closed the order's parcel. `lines` are the items scanned into it (the server
    checks them against what the order holds: a pack that is missing or has extra items is
    recorded and flagged, and the order is not packed); `waybill` "" asks the server for one."""

    wh: Ref
    order: Ref
    waybill: OptionalRef = ""  # scanned off a pre-printed courier label; "" = the server issues one
    lines: Annotated[list[ParcelLine], Meta(max_length=200)] = []
    weight_g: Annotated[int, Meta(ge=0, le=1_000_000)] = 0
    parcels: Annotated[int, Meta(ge=1, le=50)] = 1  # boxes
    # Courier code, "" = our own riders; left out (null), the courier the order's wave was built
    # for, else its shop's: the packer does not choose it again.
    courier: Annotated[str, Meta(max_length=32)] | None = None


class ParcelHandedOver(_Payload, frozen=True):
    """The parcel left the warehouse: to a courier's pickup or to one of our riders."""

    wh: Ref
    order: Ref
    waybill: Ref
    to: Ref  # courier code or rider id
    lines: Annotated[list[ParcelLine], Meta(min_length=1, max_length=200)]
    batch: OptionalRef = ""  # the dispatch batch scanned into; "" = the open batch of `to`


class StockCounted(_Payload, frozen=True):
    """A cycle count of one SKU in one bin, with what the phone believed when it was taken.

    A line the counter did not count is not sent at all. Zero is a count only when the counter
    marked the line empty (`empty`): a 0 without the mark is recorded and flagged, never applied."""

    wh: Ref
    bin: Ref
    sku: Ref
    counted: Count
    expected: int = 0  # on hand the phone showed (its replica plus its own unsynced ops)
    base: CursorText = ""  # the phone's pull cursor when counting: what it had seen ("" unknown)
    empty: bool = False  # the counter marked the line empty: counted must be 0


class ReturnReceived(_Payload, frozen=True):
    wh: Ref
    bin: Ref
    sku: Ref
    qty: Qty
    order: OptionalRef = ""
    condition: Literal["resellable", "damaged"] = "resellable"


class DeliveryAttempted(_Payload, frozen=True):
    """A delivery attempt. Who took the parcel and when a failed one is to be tried again are
    fields of their own (v2), not words in the note: the console and the phone show them, and a
    supervisor can plan the day's retries from them."""

    order: Ref
    waybill: Ref
    outcome: Literal["delivered", "failed"]
    reason: FailureReason | None = None  # required when failed, absent when delivered
    note: Note = ""
    received_by: PersonName = ""  # delivered only: the name of who took the parcel
    reschedule_on: date | None = None  # failed only: the Manila day to try again (YYYY-MM-DD)


class DeliveryAttemptedV1(_Payload, frozen=True):
    """Version 1 had the note only (the app wrote the recipient and the reschedule date into it).
    Kept so phones not yet updated still sync; their attempts upgrade with both fields empty."""

    order: Ref
    waybill: Ref
    outcome: Literal["delivered", "failed"]
    reason: FailureReason | None = None
    note: Note = ""


class CashCollected(_Payload, frozen=True):
    order: Ref
    amount: Centavos


class CashCollectedV1(_Payload, frozen=True):
    """Version 1 (the first app release) sent whole pesos. Kept so phones not yet updated still sync."""

    order: Ref
    pesos: Annotated[int, Meta(ge=0, le=1_000_000_000)]


class ProofAttached(_Payload, frozen=True):
    order: Ref
    blob: Sha256  # the photo or signature, uploaded separately under this hash
    kind: Literal["photo", "signature"] = "photo"
    waybill: OptionalRef = ""


class RemittanceHandedIn(_Payload, frozen=True):
    """A rider turned cash in (end of day, or mid-run at a drop point)."""

    amount: Annotated[int, Meta(gt=0, le=100_000_000_000)]
    to: Ref  # who received it: a cashier, supervisor or safe id
    ref: OptionalRef = ""  # the remittance slip number


class SeqSkipped(_Payload, frozen=True):
    """The device no longer holds its ops numbered seq..to (they were lost) and says so.

    Only the client library writes this op, when the server asks for ops the phone no longer has;
    it fills the hole in the device's sequence so the ops behind it can go through, and it raises
    an exception so a person knows facts were lost.
    """

    to: Annotated[int, Meta(ge=1, le=(1 << 53) - 1)]
    why: Note = ""


class ExceptionActed(_Payload, frozen=True):
    """A supervisor settled an exception on the phone with one of the actions its entity lists
    (re-allocate, cancel, charge the rider ...). The server does the work through the same action
    functions as the console's button, so a decision sent from both is applied once; acting on an
    exception someone already resolved does nothing and says so in the op's notes."""

    exception: Ref  # the exception's id (the entity key in the `exceptions` scope)
    action: Annotated[str, Meta(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
    note: Note = ""
    params: Annotated[dict[str, str | int | bool], Meta(max_length=10)] = {}


class CountTaskCreated(_Payload, frozen=True):
    """A supervisor asked, on the phone, for a bin or some SKUs to be counted (a count task not
    tied to an exception; one that is, is that exception's `count_task` action). The phone names
    the task with an id it makes, so the task shows at once offline and is opened once however
    often the op is sent; the console's POST /api/v1/count-tasks accepts the same id."""

    task: TaskId
    wh: Ref
    bin: OptionalRef = ""  # a bin to count (every SKU in it, or only `skus`); or
    skus: Annotated[list[Ref], Meta(max_length=200)] = []  # SKUs to count wherever they lie
    title: Annotated[str, Meta(max_length=120)] = ""


class Upgrade(NamedTuple):
    payload: type[_Payload]
    to_latest: Callable[[Any], _Payload]


@dataclass(frozen=True, slots=True)
class OpSpec:
    name: str  # "stock.received"
    version: int  # the latest version; the one devices should send
    payload: type[_Payload]
    # Rules a Struct cannot express (cross-field); returns a reason, or None when the payload is fine.
    check: Callable[[Any], str | None] | None = None
    older: Mapping[int, Upgrade] = field(default_factory=dict[int, Upgrade])

    @property
    def type(self) -> str:
        return f"{self.name}@v{self.version}"


class OpRejected(Exception):
    """The op is malformed: the server answers `rejected` with this code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ParsedOp(NamedTuple):
    name: str
    version: int  # as sent
    payload: Any  # the latest version's payload Struct


CATALOGUE: dict[str, OpSpec] = {}
_BY_PAYLOAD: dict[type[_Payload], str] = {}


def _register(spec: OpSpec) -> None:
    if spec.name in CATALOGUE:
        raise ValueError(f"op type {spec.name} registered twice")
    CATALOGUE[spec.name] = spec
    _BY_PAYLOAD[spec.payload] = spec.type


def _put_away_check(p: StockPutAway) -> str | None:
    return "from_bin and to_bin are the same bin" if p.from_bin == p.to_bin else None


def _short_pick_check(p: StockShortPicked) -> str | None:
    return "found must be less than wanted (otherwise it is a normal pick)" if p.found >= p.wanted else None


def _count_check(p: StockCounted) -> str | None:
    return "a line marked empty has counted 0" if p.empty and p.counted else None


def _delivery_check(p: DeliveryAttempted) -> str | None:
    if p.outcome == "failed" and p.reason is None:
        return "a failed attempt needs a reason"
    if p.outcome == "delivered" and p.reason is not None:
        return "a delivered parcel has no failure reason"
    if p.outcome == "failed" and p.received_by:
        return "a failed attempt has no recipient (received_by)"
    if p.outcome == "delivered" and p.reschedule_on is not None:
        return "a delivered parcel is not rescheduled (reschedule_on)"
    return None


def _count_task_check(p: CountTaskCreated) -> str | None:
    return "name a bin, or SKUs to count wherever they are" if not p.bin and not p.skus else None


def _attempt_v1_to_v2(p: DeliveryAttemptedV1) -> DeliveryAttempted:
    return DeliveryAttempted(
        order=p.order, waybill=p.waybill, outcome=p.outcome, reason=p.reason, note=p.note
    )


def _cash_v1_to_v2(p: CashCollectedV1) -> CashCollected:
    return CashCollected(order=p.order, amount=p.pesos * 100)


def _short_v1_to_v2(p: StockShortPickedV1) -> StockShortPicked:
    return StockShortPicked(
        wh=p.wh, bin=p.bin, sku=p.sku, order=p.order, wanted=p.wanted, found=p.found, reason=None
    )


_register(OpSpec("stock.received", 1, StockReceived))
_register(OpSpec("stock.put_away", 1, StockPutAway, _put_away_check))
_register(OpSpec("stock.picked", 1, StockPicked))
_register(
    OpSpec(
        "stock.short_picked",
        2,
        StockShortPicked,
        _short_pick_check,
        older={1: Upgrade(StockShortPickedV1, _short_v1_to_v2)},
    )
)
_register(OpSpec("stock.put_back", 1, StockPutBack))
_register(OpSpec("stock.counted", 1, StockCounted, _count_check))
_register(OpSpec("parcel.packed", 1, ParcelPacked))
_register(OpSpec("parcel.handed_over", 1, ParcelHandedOver))
_register(OpSpec("return.received", 1, ReturnReceived))
_register(
    OpSpec(
        "delivery.attempted",
        2,
        DeliveryAttempted,
        _delivery_check,
        older={1: Upgrade(DeliveryAttemptedV1, _attempt_v1_to_v2)},
    )
)
_register(OpSpec("cash.collected", 2, CashCollected, older={1: Upgrade(CashCollectedV1, _cash_v1_to_v2)}))
_register(OpSpec("proof.attached", 1, ProofAttached))
_register(OpSpec("remittance.handed_in", 1, RemittanceHandedIn))
_register(OpSpec("device.seq_skipped", 1, SeqSkipped))
_register(OpSpec("exception.acted", 1, ExceptionActed))
_register(OpSpec("count_task.created", 1, CountTaskCreated, _count_task_check))


def parse_op_type(op_type: str) -> tuple[str, int]:
    name, sep, version = op_type.rpartition("@v")
    if not sep or not version.isdigit():
        raise OpRejected("bad_op_type", f"op type {op_type!r} is not name@vN")
    return name, int(version)


def op_type_of(payload: Struct) -> str:
    """The type string to send with a payload (always its latest version)."""
    try:
        return _BY_PAYLOAD[type(payload)]  # type: ignore[index]
    except KeyError:
        raise TypeError(f"{type(payload).__name__} is not a registered op payload") from None


def parse_payload(op_type: str, payload: Mapping[str, Any]) -> ParsedOp:
    """Check a payload against the catalogue and upgrade it to the latest version.

    Raises OpRejected for an unknown type or version, or a payload that does not fit.
    """
    resolved = _RESOLVED.get(op_type)
    if resolved is None:
        resolved = _resolve(op_type)
    spec, version, payload_type, upgrade = resolved
    parsed: _Payload = _convert(payload, payload_type)
    if upgrade is not None:
        parsed = upgrade(parsed)
    if spec.check is not None:
        problem = spec.check(parsed)
        if problem is not None:
            raise OpRejected("invalid_payload", problem)
    return ParsedOp(spec.name, version, parsed)


_Resolved = tuple[OpSpec, int, type[_Payload], Callable[[Any], _Payload] | None]
_RESOLVED: dict[str, _Resolved] = {}  # "type@vN" -> how to read it; filled on first use


def _resolve(op_type: str) -> _Resolved:
    name, version = parse_op_type(op_type)
    spec = CATALOGUE.get(name)
    if spec is None:
        raise OpRejected("unknown_op_type", f"no op type {name!r} on this server")
    if version == spec.version:
        resolved: _Resolved = (spec, version, spec.payload, None)
    elif version in spec.older:
        old = spec.older[version]
        resolved = (spec, version, old.payload, old.to_latest)
    else:
        raise OpRejected("unknown_op_version", f"{name} has no version {version} on this server")
    _RESOLVED[op_type] = resolved
    return resolved


def _convert(payload: Mapping[str, Any], type_: type[_Payload]) -> _Payload:
    try:
        return msgspec.convert(payload, type_)
    except msgspec.ValidationError as exc:
        raise OpRejected("invalid_payload", str(exc)) from None

"""The judging rules: what each fact does to the ledger, and when a person must look at it.

A rule is a pure function of (the op, a read-only view of the ledger) returning a Decision. Facts
are never dropped: a rule may flag, never refuse; only a malformed op is rejected, and that happens
in the catalogue before any rule runs. PROTOCOL.md states each rule and why.

Stock and cash are deltas, so they commute: arrival order changes no balance. The one fact that is
not a delta, a cycle count, is ordered by event key (HLC, then device) so its result does not
depend on arrival order either; see `counted` and `_bin_delta`.
"""

from __future__ import annotations

import traceback
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from ._effects import (
    QUARANTINE,
    STAGING,
    AgainstRef,
    BinCounted,
    CashEntry,
    CountHeld,
    CountTaskOpen,
    Decision,
    DeliveryRecord,
    Effect,
    ExceptionAct,
    Flag,
    OrderEvent,
    ParcelHandover,
    ParcelRecord,
    Picked,
    PickProblem,
    ProofLink,
    PutBackUnits,
    StockDelta,
    decide,
    reject,
)
from ._hlc import event_key
from ._ops import (
    CATALOGUE,
    CashCollected,
    CountTaskCreated,
    DeliveryAttempted,
    ExceptionActed,
    OpRejected,
    ParcelHandedOver,
    ParcelPacked,
    ProofAttached,
    RemittanceHandedIn,
    ReturnReceived,
    SeqSkipped,
    ShortReason,
    StockCounted,
    StockPicked,
    StockPutAway,
    StockPutBack,
    StockReceived,
    StockShortPicked,
    parse_payload,
)
from ._protocol import MalformedOp, Op
from ._world import DEFAULT_POLICY, PickView, Policy, WorldView

__all__ = ["RULES", "OpContext", "judge", "judge_malformed", "server_movement"]

CANCELLED = "cancelled"
ALLOCATED = "allocated"


class OpContext(NamedTuple):
    op_id: uuid.UUID
    device: str
    seq: int
    at: str  # event key: HLC then device
    actor: str  # who did it: the user behind the device (cash is held by people, not phones)
    policy: Policy


P = TypeVar("P")
Rule = Callable[[OpContext, Any, WorldView], Decision]
RULES: dict[str, Rule] = {}


def rule(
    name: str,
) -> Callable[[Callable[[OpContext, P, WorldView], Decision]], Callable[[OpContext, P, WorldView], Decision]]:
    def register(
        fn: Callable[[OpContext, P, WorldView], Decision],
    ) -> Callable[[OpContext, P, WorldView], Decision]:
        RULES[name] = fn
        return fn

    return register


def judge(op: Op, world: WorldView, *, actor: str | None = None, policy: Policy = DEFAULT_POLICY) -> Decision:
    """Judge one journalled op. Never raises: a crashing rule quarantines the op as flagged."""
    try:
        parsed = parse_payload(op.type, op.payload)
    except OpRejected as exc:
        return reject(exc.code, exc.message)
    ctx = OpContext(op.id, op.dev, op.seq, event_key(op.hlc, op.dev), actor or op.dev, policy)
    try:
        return RULES[parsed.name](ctx, parsed.payload, world)
    except Exception as exc:
        # A poison op must not block the ops queued behind it. It is kept (journalled) and shown
        # to a person; re-judging it after a fix is a server-side action.
        where = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"judging crashed: {type(exc).__name__}: {exc} (at {where.name}:{where.lineno})"
        return decide(Flag("poison_op", message[:500]))


def judge_malformed(item: MalformedOp) -> Decision:
    return reject(item.code, item.reason)


def _bin_delta(
    ctx: OpContext, w: WorldView, wh: str, bin: str, sku: str, qty: int, kind: Any
) -> list[Effect]:
    """A stock movement at a bin, reconciled with any count taken after it.

    A count says "the bin held N at event key K". A movement whose key is before K already shows in
    N, so when it arrives after that count was judged it is recorded and immediately offset by a
    count correction: the bin ends where the count put it, plus whatever happened after the count.
    """
    return list(server_movement(w, wh, bin, sku, qty, kind, ctx.at))


def server_movement(
    w: WorldView, wh: str, bin: str, sku: str, qty: int, kind: Any, at: str
) -> tuple[StockDelta, ...]:
    """A stock movement at a bin with event key `at`, reconciled with any later count (R7).

    What every movement goes through, a phone's fact or the server's own (a console receipt keyed
    `HLC~server`): the server's stock ledger does the same for its movements (post_movements), so
    the bin's end does not depend on whether the count or the movement arrived first.
    """
    move = StockDelta(wh, bin, sku, qty, kind, at)
    if bin == STAGING:
        return (move,)
    counted_at = w.last_count_at(wh, bin, sku)
    if counted_at is not None and at < counted_at:
        return (move, StockDelta(wh, bin, sku, -qty, "count", at, note="already in a later count"))
    return (move,)


def _order_flags(
    w: WorldView, order: str, action: str, *, cancelled_kind: str
) -> tuple[list[Flag], str | None]:
    view = w.order(order)
    if view is None:
        return [
            Flag("unknown_order", f"{action} for order {order}, which the server does not know", order=order)
        ], None
    if view.status == CANCELLED:
        return [
            Flag(cancelled_kind, f"{action} for order {order}, which was cancelled", order=order)
        ], view.status
    return [], view.status


@rule("stock.received")
def received(ctx: OpContext, p: StockReceived, w: WorldView) -> Decision:
    moves = _bin_delta(ctx, w, p.wh, p.bin, p.sku, p.qty, "receive")
    if p.ref:  # matched against an inbound shipment by the server, when the ref names one
        return decide(*moves, AgainstRef(p.wh, p.bin, p.sku, p.qty, p.ref))
    return decide(*moves)


@rule("stock.put_away")
def put_away(ctx: OpContext, p: StockPutAway, w: WorldView) -> Decision:
    # No stock check: the receipt it moves is often recorded on another phone and still on its way.
    out = _bin_delta(ctx, w, p.wh, p.from_bin, p.sku, -p.qty, "put_away")
    into = _bin_delta(ctx, w, p.wh, p.to_bin, p.sku, p.qty, "put_away")
    return decide(*out, *into)


def _check_pick(
    view: PickView | None, wh: str, bin: str, sku: str, qty: int, order: str
) -> tuple[PickProblem, list[Flag]]:
    """Is this what the order wants, from where its pick list says? A phone refuses a mismatch
    before it is recorded; one that reaches the server anyway (an older app, the console, two
    phones picking the same order) is recorded as it happened and shown to a person."""
    if view is None:
        return "", []
    about = {"order": order, "wh": wh, "bin": bin, "sku": sku}
    wanted = view.lines.get(sku, 0)
    if wanted == 0:
        message = (
            f"{sku} was picked from bin {bin} for order {order}, which has no line for it: "
            "take it out of the tote and put it back"
        )
        return "wrong_item", [Flag("pick_wrong_item", message, **about)]
    done = view.picked.get(sku, 0) + qty
    if qty and done > wanted:
        message = f"order {order} needs {wanted} of {sku} but {done} were picked: put {done - wanted} back"
        return "over_pick", [Flag("pick_over_qty", message, **about)]
    planned = view.plan.get(sku, frozenset()) - {""}
    if planned and bin not in planned:
        message = (
            f"{sku} for order {order} was picked from bin {bin}; its pick list says "
            f"{', '.join(sorted(planned))}: the bins will need a count if the label was wrong"
        )
        return "wrong_bin", [Flag("pick_wrong_bin", message, **about)]
    return "", []


def _pick(
    ctx: OpContext, w: WorldView, wh: str, bin: str, sku: str, qty: int, order: str, wanted: int = 0
) -> list[Effect]:
    problem, flags = _check_pick(w.pick_view(order), wh, bin, sku, qty, order)
    effects: list[Effect] = []
    if qty:
        there = w.bin_qty(wh, bin, sku)
        effects += _bin_delta(ctx, w, wh, bin, sku, -qty, "pick")
        counted_since = len(effects) > 1  # a later count already saw this pick: no shortage to report
        effects.append(StockDelta(wh, STAGING, sku, qty, "pick", ctx.at))
        if not counted_since and there < qty:
            message = (
                f"picked {qty} of {sku} from bin {bin} for order {order}, but the ledger had {there} "
                "there; the bin now shows a shortage until a missing receipt arrives or the bin is counted"
            )
            flags.append(
                Flag(
                    "pick_without_stock",
                    message,
                    order=order,
                    wh=wh,
                    bin=bin,
                    sku=sku,
                )
            )
    effects.append(Picked(order, wh, bin, sku, qty, wanted, problem))
    view = w.order(order)
    if qty and problem != "wrong_item" and view is not None and view.status == ALLOCATED:
        # The first unit off the shelf starts the order's picking, as a picker does at the console.
        effects.append(OrderEvent(order, "picking"))
    return [*effects, *flags]


@rule("stock.picked")
def picked(ctx: OpContext, p: StockPicked, w: WorldView) -> Decision:
    return decide(*_pick(ctx, w, p.wh, p.bin, p.sku, p.qty, p.order))


@rule("stock.short_picked")
def short_picked(ctx: OpContext, p: StockShortPicked, w: WorldView) -> Decision:
    # The server follows a short pick up (another bin, or a hold): see server/picking/picks.py.
    effects = _pick(ctx, w, p.wh, p.bin, p.sku, p.found, p.order, wanted=p.wanted)
    said = f" (the picker says: {SHORT_WORDS[p.reason]})" if p.reason else ""
    effects.append(
        Flag(
            "short_pick",
            f"order {p.order} needs {p.wanted} of {p.sku} but bin {p.bin} had only {p.found}{said}: "
            "count the bin; the rest of the order is taken from another bin when one has it",
            order=p.order,
            wh=p.wh,
            bin=p.bin,
            sku=p.sku,
            reason=p.reason or "",
        )
    )
    return decide(*effects)


# A short pick's reason in the exception's sentence (the code itself is in its evidence).
SHORT_WORDS: dict[ShortReason, str] = {
    "empty_bin": "the bin was empty",
    "not_enough": "fewer in the bin than expected",
    "damaged": "the units there are damaged",
    "not_found": "the item could not be found",
}


@rule("stock.put_back")
def put_back(ctx: OpContext, p: StockPutBack, w: WorldView) -> Decision:
    """Staging -> a shelf, like a put-away. Units of a cancelled order count against its put-back;
    the server says when they were not expected (server/shipping/put_backs.py)."""
    out = _bin_delta(ctx, w, p.wh, STAGING, p.sku, -p.qty, "put_away")
    into = _bin_delta(ctx, w, p.wh, p.bin, p.sku, p.qty, "put_away")
    if not p.order:
        return decide(*out, *into)  # a wave's leftovers: no order waits for them
    return decide(*out, *into, PutBackUnits(p.order, p.wh, p.sku, p.qty, p.bin))


@rule("stock.counted")
def counted(ctx: OpContext, p: StockCounted, w: WorldView) -> Decision:
    """Turn a count into an adjustment that neither loses nor double-counts movements made elsewhere.

    The bin's quantity is defined as: the latest count (by event key) plus every movement after it.
    So the adjustment is  counted + (movements after this count) - (on hand now).  Equivalently,
    counted - (on hand as the ledger believed it at the moment of the count); movements the phone
    had not seen are in that belief when they happened before the count, and left out when after.
    """
    if p.counted == 0 and not p.empty:
        # Not a count: a line left uncounted must never zero a bin. Only an explicit empty mark does.
        return decide(
            Flag(
                "count_zero_unmarked",
                f"bin {p.bin} counted 0 of {p.sku} without marking the line empty: not applied; "
                "count the bin again and mark the line empty if it really is",
                wh=p.wh,
                bin=p.bin,
                sku=p.sku,
            )
        )
    record = BinCounted(p.wh, p.bin, p.sku, p.counted, ctx.at)
    latest = w.last_count_at(p.wh, p.bin, p.sku)
    if latest is not None and latest > ctx.at:
        return decide(record)  # a later count already fixed the bin; this one changes nothing
    now = w.bin_qty(p.wh, p.bin, p.sku)
    after = w.moved_after(p.wh, p.bin, p.sku, ctx.at)
    believed = now - after
    adjustment = p.counted - believed
    limit = max(ctx.policy.count_variance_units, abs(believed) * ctx.policy.count_variance_percent // 100)
    if abs(adjustment) > limit and ctx.policy.hold_variances:
        # Too far from the ledger to trust at once (a miscount, a wrong bin, or theft): held for a
        # recount, then a supervisor's approval; the bin keeps its ledger quantity meanwhile.
        return decide(
            CountHeld(p.wh, p.bin, p.sku, p.counted, believed, adjustment, ctx.at),
            Flag(
                "count_variance",
                f"bin {p.bin} counted {p.counted} of {p.sku}; the ledger expected {believed} at that moment "
                f"(the phone showed {p.expected}); {adjustment:+d} is held for a recount and a "
                "supervisor's approval",
                wh=p.wh,
                bin=p.bin,
                sku=p.sku,
            ),
        )
    effects: list[Effect] = [record]
    if adjustment:
        effects.append(
            StockDelta(p.wh, p.bin, p.sku, adjustment, "count", ctx.at, note=f"counted {p.counted}")
        )
    if abs(adjustment) > limit:
        effects.append(
            Flag(
                "count_variance",
                f"bin {p.bin} counted {p.counted} of {p.sku}; the ledger expected {believed} at that moment "
                f"(the phone showed {p.expected}); adjusted by {adjustment:+d}",
                wh=p.wh,
                bin=p.bin,
                sku=p.sku,
            )
        )
    return decide(*effects)


@rule("parcel.packed")
def packed(ctx: OpContext, p: ParcelPacked, w: WorldView) -> Decision:
    flags, status = _order_flags(
        w,
        p.order,
        f"parcel {p.waybill or 'of order ' + p.order} packed",
        cancelled_kind="packed_cancelled_order",
    )
    if status in (None, CANCELLED):
        return decide(*flags)
    # The parcel first: the server checks its items against the order and issues the waybill; it
    # moves the order to packed itself, or flags the pack and leaves the order where it was.
    parcel = ParcelRecord(
        p.order,
        p.wh,
        p.waybill,
        tuple((ln.sku, ln.qty) for ln in p.lines),
        p.weight_g,
        p.parcels,
        p.courier,
    )
    return decide(parcel, OrderEvent(p.order, "packed"))


@rule("parcel.handed_over")
def handed_over(ctx: OpContext, p: ParcelHandedOver, w: WorldView) -> Decision:
    # The goods left the building whatever the order says: the stock movement is always recorded.
    ships: list[Effect] = [StockDelta(p.wh, STAGING, ln.sku, -ln.qty, "ship", ctx.at) for ln in p.lines]
    flags, status = _order_flags(
        w, p.order, f"parcel {p.waybill} handed over to {p.to}", cancelled_kind="shipped_cancelled_order"
    )
    if status not in (None, CANCELLED):
        # Into a dispatch batch (the server catches a parcel already in another one), then shipped.
        ships.insert(0, ParcelHandover(p.order, p.wh, p.waybill, p.to, p.batch))
        ships.append(OrderEvent(p.order, "shipped", reason=f"handed over to {p.to}"))
    return decide(*ships, *flags)


@rule("return.received")
def return_received(ctx: OpContext, p: ReturnReceived, w: WorldView) -> Decision:
    # A damaged item never goes back on a sellable shelf, whatever bin the phone named: it waits in
    # the warehouse's quarantine bin, on hand but not available to sell.
    bin = QUARANTINE if p.condition == "damaged" else p.bin
    effects = _bin_delta(ctx, w, p.wh, bin, p.sku, p.qty, "return")
    if p.order:
        effects.append(OrderEvent(p.order, "returned", reason=p.condition))
    return decide(*effects)


@rule("delivery.attempted")
def delivery_attempted(ctx: OpContext, p: DeliveryAttempted, w: WorldView) -> Decision:
    reason = p.reason or ""
    day = p.reschedule_on.isoformat() if p.reschedule_on else ""

    def record(outcome: str, reason: str = "", counts: bool = True) -> DeliveryRecord:
        return DeliveryRecord(
            p.order, p.waybill, outcome, ctx.device, reason, counts, p.note, p.received_by, day
        )

    if p.outcome == "failed":
        # A failed attempt never undoes a delivery: it is recorded, and moves the order only if open.
        view = w.order(p.order)
        effects: list[Effect] = [record("failed", reason)]
        if (
            view is not None
            and view.status not in ("delivered", CANCELLED)
            and w.delivered_by(p.waybill) is None
        ):
            effects.append(OrderEvent(p.order, "failed_delivery", reason=reason))
        return decide(*effects)
    first = w.delivered_by(p.waybill)
    if first is not None:
        who = "this same device" if first == ctx.device else f"device {first}"
        return decide(
            record("delivered", counts=False),
            Flag(
                "double_delivery",
                f"parcel {p.waybill} reported delivered again by device {ctx.device}; "
                f"{who} had already delivered it",
                order=p.order,
            ),
        )
    flags, status = _order_flags(
        w, p.order, f"parcel {p.waybill} delivered", cancelled_kind="delivery_for_cancelled_order"
    )
    effects = [record("delivered")]
    if status not in (None, CANCELLED):
        effects.append(OrderEvent(p.order, "delivered"))
    return decide(*effects, *flags)


@rule("cash.collected")
def cash_collected(ctx: OpContext, p: CashCollected, w: WorldView) -> Decision:
    # The pesos are in the rider's hand whatever happened to the order: record them there first.
    entry = CashEntry(ctx.actor, p.amount, "collected", order=p.order)
    view = w.order(p.order)
    if view is None:
        return decide(
            entry, Flag("unknown_order", f"cash collected for unknown order {p.order}", order=p.order)
        )
    if view.status == CANCELLED:
        return decide(
            entry,
            Flag(
                "cash_for_cancelled_order",
                f"{_pesos(p.amount)} collected for order {p.order}, which was cancelled; "
                f"the cash is with {ctx.actor} and must be refunded or re-sold",
                order=p.order,
            ),
        )
    if p.amount != view.cod_amount:
        return decide(
            entry,
            Flag(
                "cod_amount_mismatch",
                f"{_pesos(p.amount)} collected for order {p.order}; "
                f"the COD amount is {_pesos(view.cod_amount)}",
                order=p.order,
            ),
        )
    return decide(entry)


@rule("proof.attached")
def proof_attached(ctx: OpContext, p: ProofAttached, w: WorldView) -> Decision:
    # Never waits for the blob: the photo uploads on its own schedule; a missing one is chased later.
    return decide(ProofLink(p.order, p.blob, p.kind, p.waybill))


@rule("remittance.handed_in")
def remittance_handed_in(ctx: OpContext, p: RemittanceHandedIn, w: WorldView) -> Decision:
    held = w.cash_on_hand(ctx.actor)
    effects: list[Effect] = [
        CashEntry(ctx.actor, -p.amount, "remitted", ref=p.ref),
        CashEntry(p.to, p.amount, "received", ref=p.ref),
    ]
    if held < p.amount:
        effects.append(
            Flag(
                "remittance_exceeds_cash",
                f"{ctx.actor} handed in {_pesos(p.amount)} but the ledger shows {_pesos(held)} collected; "
                "a collection may not have synced yet",
            )
        )
    return decide(*effects)


@rule("device.seq_skipped")
def seq_skipped(ctx: OpContext, p: SeqSkipped, w: WorldView) -> Decision:
    return decide(
        Flag(
            "ops_lost",
            f"device {ctx.device} no longer has its ops {ctx.seq}..{p.to}; what they recorded is lost "
            f"unless re-entered ({p.why or 'no reason given'})",
        )
    )


@rule("exception.acted")
def exception_acted(ctx: OpContext, p: ExceptionActed, w: WorldView) -> Decision:
    # Nothing in the ledgers to judge: whether the action is allowed, and whether someone settled
    # the exception first, is for the server's action writer (server/exceptions/actions.py).
    return decide(ExceptionAct(p.exception, p.action, p.note, dict(p.params)))


@rule("count_task.created")
def count_task_created(ctx: OpContext, p: CountTaskCreated, w: WorldView) -> Decision:
    # A request for work, not a fact about stock: whether the warehouse, bin and SKUs exist is for
    # the server's count-task writer (server/inventory/count_tasks.py), which opens it once.
    return decide(CountTaskOpen(p.task.lower(), p.wh, p.bin, tuple(p.skus), p.title))


def _pesos(centavos: int) -> str:
    sign = "-" if centavos < 0 else ""
    whole, cents = divmod(abs(centavos), 100)
    return f"{sign}₱{whole:,}.{cents:02d}"


def _check_catalogue() -> None:
    missing = sorted(set(CATALOGUE) - set(RULES))
    if missing:  # pragma: no cover - caught by the test suite before it ships
        raise RuntimeError(f"op types without a judging rule: {missing}")


_check_catalogue()

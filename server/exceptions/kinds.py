"""What each kind of exception is: how serious by default, and what a person can do about it.

Pure data, read by the inbox (the sync entity lists the actions so the phone shows buttons) and
by the action registry (server/exceptions/actions.py), which holds the functions behind the names
(each registered by the package that owns its writer; server/writes.py checks none is missing).
Every kind can also be dismissed: closed with a note, when the work was done elsewhere.
"""

from __future__ import annotations

from typing import Literal

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "critical")
SUBJECT_KINDS = ("order", "sku", "bin", "rider", "device", "shop", "courier_batch", "shipment")

# Kinds that are not plain warnings. Critical: money or facts may be lost and someone must look now,
# quiet hours or not.
SEVERITY: dict[str, Severity] = {
    "remittance_short": "critical",
    "rider_cash_over_ceiling": "critical",
    "ledger_drift": "critical",
    "ops_lost": "critical",
    "poison_op": "critical",
    "double_delivery": "critical",
    "webhook_signature_failures": "critical",
    "courier_not_remitted": "warning",
    "rider_cash_unremitted": "warning",
    "exception_action_refused": "warning",
    "ship_by_at_risk": "warning",
    "channel_orders_missing": "warning",
    "device_silent": "warning",
    "low_stock": "info",
    "address_unverified": "info",
    "device_clock_ahead": "info",
}

# An order that waits for stock: take stock again, bring it from another warehouse, give up, or
# wait for a restock on purpose.
_HELD = ("reallocate", "transfer", "cancel", "backorder")
# Stock not where the ledger says: send someone to count.
_COUNT = ("count_task",)

COD_CONFLICTS: dict[str, tuple[str, ...]] = {
    "cash_for_cancelled_order": ("accept", "refund", "write_off"),
    "delivery_for_cancelled_order": ("accept", "write_off"),
    "double_delivery": ("accept", "refund", "charge_rider", "write_off"),
    "cod_amount_mismatch": ("accept", "refund", "charge_rider", "write_off"),
    "unknown_order": ("accept", "refund", "write_off"),
    "remittance_short": ("charge_rider", "write_off"),
    "remittance_exceeds_cash": ("accept", "write_off"),
    "out_of_scope": ("accept", "reject"),
}

ACTIONS: dict[str, tuple[str, ...]] = {
    "order_on_hold": _HELD,
    "stock_shortfall": _HELD,
    "short_pick_unfilled": (*_COUNT, *_HELD),
    "short_pick": _COUNT,
    "short_pick_reallocated": _COUNT,
    "pick_without_stock": _COUNT,
    "pick_wrong_bin": _COUNT,
    "put_back_unexpected": _COUNT,
    "count_zero_unmarked": _COUNT,
    "count_variance": ("recount",),
    "count_needs_approval": ("approve_count", "reject_count", "recount"),
    "unknown_status": ("map_status",),
    "unmapped_status": ("map_status",),
    "low_stock": _COUNT,
    # COD conflicts: settled by the conflicts' writer (server/sync_api/conflicts.py), whose table
    # this repeats (a test keeps the two equal). For a double delivery, `accept` keeps the first
    # delivery as the real one; the second stays recorded as not counting.
    **COD_CONFLICTS,
    # ... or the supervisor picks the real one (params.keep: first | second), the other voided with
    # its cash, through the COD domain's writer (server/cod/deliveries.choose_delivery).
    "double_delivery": ("pick_delivery", *COD_CONFLICTS["double_delivery"]),
}

DISMISS = "dismiss"


def severity_of(kind: str) -> Severity:
    return SEVERITY.get(kind, "warning")


def actions_for(kind: str) -> list[str]:
    """The buttons for an exception of this kind, the work first and dismiss last."""
    return [*ACTIONS.get(kind, ()), DISMISS]

"""The order state machine: which status may follow which.

pending -> allocated | on_hold -> picking -> packed -> shipped -> delivered
shipped -> failed_delivery -> shipped (another attempt) | return_to_sender -> returned
Cancelling is allowed until the parcel leaves the warehouse.
"""

from __future__ import annotations

from server.errors import IllegalTransition

STATUSES = (
    "pending",
    "on_hold",
    "allocated",
    "picking",
    "packed",
    "shipped",
    "delivered",
    "failed_delivery",
    "return_to_sender",
    "returned",
    "cancelled",
)

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"allocated", "on_hold", "cancelled"}),
    "on_hold": frozenset({"allocated", "cancelled"}),
    "allocated": frozenset({"picking", "on_hold", "cancelled"}),
    "picking": frozenset({"packed", "allocated", "cancelled"}),
    "packed": frozenset({"shipped", "cancelled"}),
    "shipped": frozenset({"delivered", "failed_delivery", "return_to_sender"}),
    "failed_delivery": frozenset({"shipped", "delivered", "return_to_sender"}),
    "return_to_sender": frozenset({"returned"}),
    "delivered": frozenset({"returned"}),  # a customer return after delivery
    "returned": frozenset(),
    "cancelled": frozenset(),
}

# Statuses whose order still holds reserved stock.
HOLDS_STOCK = frozenset({"allocated", "picking", "packed"})
# Once shipped the goods are out of the building: a cancel from the channel can no longer stop them.
LEFT_WAREHOUSE = frozenset({"shipped", "delivered", "failed_delivery", "return_to_sender", "returned"})


def check_transition(current: str, target: str) -> None:
    if target not in TRANSITIONS:
        raise IllegalTransition(f"{target!r} is not an order status; statuses are: {', '.join(STATUSES)}")
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (final status)"
        raise IllegalTransition(f"an order that is {current} cannot become {target}; allowed next: {allowed}")


# Order statuses in which an order is work for its warehouse (a task on the warehouse's phones).
TASK_STATUSES = frozenset({"allocated", "picking", "packed"})

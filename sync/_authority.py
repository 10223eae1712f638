"""Who may record which fact where: the authority table the server checks every pushed op against.

Pure data. A role outside `roles`, or a fact outside the caller's scope, is still journalled
(facts are never dropped) but not applied: it becomes an `out_of_scope` exception for a supervisor
(PROTOCOL.md §7.1). Scopes:

  warehouse  the payload's `wh` is the warehouse the user works in
  run        the payload's `order` is a stop on one of the rider's runs
  own        the fact concerns only the caller (the cash in its own hands)
  any        no scope to check (a filler speaks only of the device's own sequence)

Supervisors and admins may record any fact anywhere: they step in for absent staff and riders.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["AUTHORITY", "MANAGER_ROLES", "Authority"]

Scope = Literal["warehouse", "run", "own", "any"]

MANAGER_ROLES = frozenset({"supervisor", "admin"})


class Authority(NamedTuple):
    roles: frozenset[str]  # besides MANAGER_ROLES, who are never limited
    scope: Scope  # how far those roles reach


_FLOOR = Authority(frozenset({"warehouse"}), "warehouse")
_ROAD = Authority(frozenset({"rider"}), "run")

AUTHORITY: dict[str, Authority] = {
    "stock.received": _FLOOR,
    "stock.put_away": _FLOOR,
    "stock.picked": _FLOOR,
    "stock.short_picked": _FLOOR,
    "stock.put_back": _FLOOR,
    "stock.counted": _FLOOR,
    "parcel.packed": _FLOOR,
    "parcel.handed_over": _FLOOR,
    "return.received": _FLOOR,
    "delivery.attempted": _ROAD,
    "cash.collected": _ROAD,
    "proof.attached": _ROAD,
    "remittance.handed_in": Authority(frozenset({"rider"}), "own"),
    "device.seq_skipped": Authority(frozenset({"warehouse", "rider"}), "any"),
    # Settling exceptions is a supervisor's (or admin's) decision: no other role may.
    "exception.acted": Authority(frozenset(), "any"),
    # So is asking for a count: the warehouse phones get the task to do.
    "count_task.created": Authority(frozenset(), "any"),
}

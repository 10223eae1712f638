"""Admission: where an incoming op fits in its device's gap-free sequence, before any judging.

The server keeps, per device, a high-water mark (hwm): every seq up to it holds exactly one
journalled op. `admit` decides, from the hwm and two journal lookups (by op id, and by the
device's seq slot), whether the op is new, a duplicate, a clash, or beyond a gap. The server writes
the journal row, the effects and the new hwm in one transaction, in request order.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from ._protocol import MalformedOp, Op

__all__ = ["SKIP_OP_NAME", "Admission", "Journalled", "admit", "last_seq_of"]

SKIP_OP_NAME = "device.seq_skipped"

Verdict = Literal["new", "duplicate", "seq_taken", "gap", "unplaced"]


class Journalled(NamedTuple):
    """What the server needs to remember of a journalled op to answer a later copy of it."""

    op_id: uuid.UUID
    seq: int
    last_seq: int  # == seq, except for a device.seq_skipped filler that covers seq..last_seq
    type: str
    payload: Mapping[str, Any]

    @classmethod
    def of(cls, op: Op) -> Journalled:
        return cls(op.id, op.seq, last_seq_of(op), op.type, op.payload)

    @property
    def is_filler(self) -> bool:
        return self.type.startswith(SKIP_OP_NAME + "@")


class Admission(NamedTuple):
    verdict: Verdict
    hwm: int  # the device's high-water mark after this op


def last_seq_of(op: Op) -> int:
    """The last seq an op occupies: itself, or the end of the range a filler declares lost."""
    if op.type.startswith(SKIP_OP_NAME + "@"):
        to = op.payload.get("to")
        if isinstance(to, int) and not isinstance(to, bool) and to >= op.seq:
            return to
    return op.seq


def admit(
    item: Op | MalformedOp, hwm: int, *, by_id: Journalled | None, at_slot: Journalled | None
) -> Admission:
    """Decide what to do with one op.

    by_id: the journalled op with the same op id, if any (any device: op ids are global).
    at_slot: the journalled op occupying this device's slot ``item.seq``, if seq <= hwm.

    new        journal it, judge it, answer applied/flagged/rejected; hwm moves to its last seq.
               Also for an op landing in a slot a filler declared lost: the fact turned up after
               all (a delayed copy of a request), so it is judged, and hwm stays.
    duplicate  answer "duplicate"; change nothing. Same op id, or same slot with the same content
               (a client that regenerated op ids on retry).
    seq_taken  a different fact in an occupied slot: a client bug. Answer "rejected"; the server
               keeps the body for inspection rather than lose it.
    gap        stop here: answer resume_from = hwm + 1, process nothing after it.
    unplaced   a malformed op whose seq is unreadable: answer "rejected", no slot consumed.
    """
    if by_id is not None:
        return Admission("duplicate", hwm)
    seq = item.seq
    if seq == 0:
        return Admission("unplaced", hwm)
    if seq <= hwm:
        if at_slot is None or at_slot.is_filler:
            return Admission("new", hwm)
        if isinstance(item, Op) and at_slot.type == item.type and at_slot.payload == item.payload:
            return Admission("duplicate", hwm)
        return Admission("seq_taken", hwm)
    if seq == hwm + 1:
        return Admission("new", last_seq_of(item) if isinstance(item, Op) else seq)
    return Admission("gap", hwm)

"""Admission: where an incoming op fits in its device's gap-free sequence, before any judging.

The server keeps, per device, a high-water mark (hwm): every seq up to it holds exactly one
journalled op. `admit` decides, from the hwm and two journal lookups (by op id, and by the
device's seq slot), whether the op is new, a duplicate, a clash, or beyond a gap. The server writes
the journal row, the effects and the new hwm in one transaction, in request order.

A duplicate found by op id at the device's next slot (hwm + 1) *fills* that slot: its id was
journalled under another device (an outbox moved to a new device at login) or at another seq of
this one. Without that, the slot would stay empty forever and every op behind it would wait.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

from ._ops import OpRejected, parse_payload
from ._protocol import MalformedOp, Op

__all__ = ["SKIP_OP_NAME", "Admission", "Journalled", "admit", "last_seq_of", "same_fact"]

SKIP_OP_NAME = "device.seq_skipped"

Verdict = Literal["new", "duplicate", "copy", "seq_taken", "gap", "unplaced"]


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
    duplicate  answer "duplicate"; change nothing. Same op id, or same slot with the same fact
               (a client that regenerated op ids on retry; compared after decoding: see same_fact).
    copy       a journalled op id at seq = hwm + 1: answer "duplicate", no effects, but the slot is
               filled (the server journals a copy pointing at the original) and hwm moves on.
    seq_taken  a different fact in an occupied slot: a client bug. Answer "rejected"; the server
               keeps the body for inspection rather than lose it.
    gap        stop here: answer resume_from = hwm + 1, process nothing after it (a known op id
               beyond the gap too: a response never confirms a seq above resume_from).
    unplaced   a malformed op whose seq is unreadable: answer "rejected", no slot consumed.
    """
    seq = item.seq
    if by_id is not None:
        if seq == hwm + 1:
            return Admission("copy", last_seq_of(item) if isinstance(item, Op) else seq)
        if seq > hwm + 1:
            # Beyond a gap even a known op gets no answer: nothing above resume_from is confirmed.
            return Admission("gap", hwm)
        return Admission("duplicate", hwm)
    if seq == 0:
        return Admission("unplaced", hwm)
    if seq <= hwm:
        if at_slot is None or at_slot.is_filler:
            return Admission("new", hwm)
        if isinstance(item, Op) and same_fact(at_slot.type, at_slot.payload, item.type, item.payload):
            return Admission("duplicate", hwm)
        return Admission("seq_taken", hwm)
    if seq == hwm + 1:
        return Admission("new", last_seq_of(item) if isinstance(item, Op) else seq)
    return Admission("gap", hwm)


def same_fact(type_a: str, payload_a: Mapping[str, Any], type_b: str, payload_b: Mapping[str, Any]) -> bool:
    """Whether two ops state the same fact: equal once decoded and upgraded to the latest version.

    So an explicit default (`ref: ""`), an unknown extra field, or a v1 payload re-sent in its v2
    form is the same fact as the original; raw bytes would differ. Ops that do not decode (rejected
    when journalled) are compared as sent.
    """
    if type_a == type_b and payload_a == payload_b:
        return True
    try:
        a, b = parse_payload(type_a, payload_a), parse_payload(type_b, payload_b)
    except OpRejected:
        return False
    return a.name == b.name and a.payload == b.payload

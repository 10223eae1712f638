"""Wire types of the sync protocol, and how they are encoded. PROTOCOL.md is the prose version.

Schema evolution (msgspec's rules): a field added later always has a default, nothing is ever
renamed or retyped, unknown fields are ignored. Keyed messages use short field names because a
phone on prepaid data pays for every byte; array-like structs (the op envelope, per-op results,
changes) carry no names at all, so their field order is part of the protocol and only grows at the end.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal, NamedTuple

from msgspec import Meta, Struct, field

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_OPS_PER_PUSH",
    "MAX_PAGE_SIZE",
    "MAX_REQUEST_BYTES",
    "MAX_WIRE_BYTES",
    "MIN_PROTOCOL_VERSION",
    "PROTOCOL_VERSION",
    "Change",
    "Cursor",
    "CursorError",
    "Format",
    "MalformedOp",
    "Note",
    "Op",
    "OpResult",
    "OpStatus",
    "PullRequest",
    "PullResponse",
    "PushRequest",
    "PushResponse",
    "Reset",
    "SyncRequest",
    "SyncResponse",
]

# The protocol version this code speaks, and the oldest one it still serves. Installed PWAs stay on
# phones for months, so MIN_PROTOCOL_VERSION only moves when the oldest version in the field is gone.
PROTOCOL_VERSION = 1
MIN_PROTOCOL_VERSION = 1

MAX_OPS_PER_PUSH = 1000
MAX_WIRE_BYTES = 1 << 20  # body as sent (possibly gzip)
MAX_REQUEST_BYTES = 4 << 20  # body after gunzip: bounds a gzip bomb
DEFAULT_PAGE_SIZE = 1000
MAX_PAGE_SIZE = 5000

Format = Literal["json", "msgpack"]

# JavaScript numbers are exact up to 2**53 - 1; every integer on the wire stays inside that.
MAX_SAFE_INT = (1 << 53) - 1

Ident = Annotated[str, Meta(min_length=1, max_length=64)]
Seq = Annotated[int, Meta(ge=1, le=MAX_SAFE_INT)]
HlcText = Annotated[str, Meta(pattern=r"^[0-9a-f]{16}$")]
OpTypeText = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+@v[1-9][0-9]{0,3}$")]
WallMs = Annotated[int, Meta(ge=0, le=MAX_SAFE_INT)]
Version = Annotated[int, Meta(ge=1, le=1000)]
PageSize = Annotated[int, Meta(ge=0, le=MAX_SAFE_INT)]


class Op(Struct, array_like=True, frozen=True):
    """One fact from one device: ``[id, dev, seq, wall, hlc, type, payload]`` on the wire."""

    id: uuid.UUID  # global identity: the first dedupe key
    dev: Ident  # the device that recorded it; must be the caller's own device
    seq: Seq  # gap-free per device, from 1: the second dedupe key, and the upload order
    wall: WallMs  # the device's wall clock (ms since 1970, UTC) when recorded: data only
    hlc: HlcText  # hybrid logical clock when recorded: orders facts for the judging rules
    type: OpTypeText  # "stock.received@v1"
    payload: dict[str, Any]  # shape given by `type`; checked by the op catalogue, not here


OpStatus = Literal["applied", "duplicate", "flagged", "rejected"]


class Note(Struct, array_like=True, frozen=True):
    """Why an op was flagged (an exception kind) or rejected (a reason code), with a sentence."""

    code: str
    msg: str = ""


class OpResult(Struct, array_like=True, frozen=True):
    """``[seq, status, notes]``: the server's answer for one op."""

    seq: int  # 0 only when the op was so malformed that its seq could not be read
    st: OpStatus
    notes: list[Note] = field(default_factory=list)


class Reset(Struct, frozen=True, omit_defaults=True):
    """The cursor is from another history: drop the replica, re-upload, re-download."""

    why: str  # epoch_changed | cursor_ahead | cursor_expired | scope_changed | bad_cursor
    ep: str  # the server's current epoch
    hwm: int = 0  # the caller's confirmed seq in this epoch: ops after it must be uploaded again


class Change(Struct, array_like=True, frozen=True):
    """``[scope, kind, key, val]``: the entity's new value in the caller's replica; null deletes it."""

    scope: str
    kind: str
    key: str
    val: Any = None


class PushRequest(Struct, frozen=True, omit_defaults=True):
    v: Version
    ops: list[Op] = field(default_factory=list)


class PushResponse(Struct, frozen=True, omit_defaults=True):
    v: int
    ep: str  # the server's epoch: a change means the server was restored or reset
    hwm: int  # every op of this device up to this seq is durable on the server
    res: list[OpResult] = field(default_factory=list)  # one per op processed, in request order
    resume_from: int | None = None  # set when a gap stopped processing: upload again from this seq
    pos: str = ""  # cursor ("<epoch>:<position>") of the log once these ops' effects are in it
    hlc: str = ""  # the server's clock, so phones with wrong clocks converge


class PullRequest(Struct, frozen=True, omit_defaults=True):
    v: Version
    cur: str | None = None  # None: from the beginning
    lim: PageSize = 0  # 0: the server's default page size


class PullResponse(Struct, frozen=True, omit_defaults=True):
    v: int
    ep: str
    cur: str  # store it with the page, in the same local transaction
    ch: list[Change] = field(default_factory=list)
    more: bool = False  # True: pull again now; False: this page is the end marker
    sums: dict[str, str] = field(default_factory=dict)  # scope -> checksum, on the end marker only
    reset: Reset | None = None
    hlc: str = ""


class SyncRequest(Struct, frozen=True, omit_defaults=True):
    """Push and pull in one round trip: the fields of PushRequest and PullRequest together."""

    v: Version
    ops: list[Op] = field(default_factory=list)
    cur: str | None = None
    lim: PageSize = 0
    pull: bool = True  # False: push only

    def push_part(self) -> PushRequest:
        return PushRequest(v=self.v, ops=self.ops)

    def pull_part(self) -> PullRequest:
        return PullRequest(v=self.v, cur=self.cur, lim=self.lim)


class SyncResponse(Struct, frozen=True, omit_defaults=True):
    """PushResponse and PullResponse fields together; the pull part is empty when not asked for."""

    v: int
    ep: str
    hwm: int
    res: list[OpResult] = field(default_factory=list)
    resume_from: int | None = None
    pos: str = ""
    cur: str | None = None
    ch: list[Change] = field(default_factory=list)
    more: bool = False
    sums: dict[str, str] = field(default_factory=dict)
    reset: Reset | None = None
    hlc: str = ""

    @classmethod
    def of(cls, push: PushResponse, pull: PullResponse | None) -> SyncResponse:
        if pull is None:
            return cls(
                v=push.v,
                ep=push.ep,
                hwm=push.hwm,
                res=push.res,
                resume_from=push.resume_from,
                pos=push.pos,
                hlc=push.hlc,
            )
        return cls(
            v=push.v,
            ep=push.ep,
            hwm=push.hwm,
            res=push.res,
            resume_from=push.resume_from,
            pos=push.pos,
            cur=pull.cur,
            ch=pull.ch,
            more=pull.more,
            sums=pull.sums,
            reset=pull.reset,
            hlc=pull.hlc or push.hlc,
        )


class MalformedOp(NamedTuple):
    """An element of ``ops`` that is not a valid envelope: answered ``rejected``, never fatal to the batch."""

    position: int  # its index in the request's ops
    seq: int  # 0 when unreadable
    id: uuid.UUID | None
    reason: str
    code: str = "malformed_op"  # or "invalid_payload": a readable envelope whose payload text is not (§4)


class CursorError(ValueError):
    pass


_EPOCH_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


class Cursor(NamedTuple):
    """A position in the server's change log, qualified by the history (epoch) it belongs to.

    Clients treat the text form as opaque; only the server parses it.
    """

    epoch: str
    position: int

    def format(self) -> str:
        return f"{self.epoch}:{self.position}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        epoch, sep, position = text.rpartition(":")
        if not sep or not epoch or len(epoch) > 32 or not set(epoch) <= _EPOCH_CHARS:
            raise CursorError(f"not a sync cursor: {text[:80]!r}")
        if not position.isdigit() or len(position) > 16:
            raise CursorError(f"not a sync cursor position: {text[:80]!r}")
        return cls(epoch, int(position))

    @staticmethod
    def valid_epoch(epoch: str) -> bool:
        return 0 < len(epoch) <= 32 and set(epoch) <= _EPOCH_CHARS

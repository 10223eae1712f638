"""Pull: a page of the caller's scopes since its cursor, or a reset when the cursor is not valid for
this database's history (PROTOCOL.md §4). Runs inside one snapshot: the page, the head and the
checksums agree with each other.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.changes.log import Head, Row, checksum_hex, read_page, read_sums
from server.sync_api.models import SyncDevice
from sync import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PROTOCOL_VERSION,
    Change,
    Cursor,
    CursorError,
    Format,
    PullResponse,
    Reset,
)


@dataclass(frozen=True)
class DeviceState:
    hwm: int
    scopes: str  # "\n"-joined scopes the replica was built from; "" if it never pulled


def device_state(conn: Connection, device_id: uuid.UUID) -> DeviceState:
    if conn.dialect.name == "sqlite":  # once per request: skip the statement compiler
        row = conn.exec_driver_sql(
            "SELECT hwm, scopes FROM sync_devices WHERE device_id = ?", (device_id.hex,)
        ).first()
    else:
        row = conn.execute(
            select(SyncDevice.hwm, SyncDevice.scopes).where(SyncDevice.device_id == device_id)
        ).first()
    return DeviceState(0, "") if row is None else DeviceState(int(row[0]), row[1])


@dataclass(frozen=True)
class PullWanted:
    cur: str | None
    lim: int
    fmt: Format


@dataclass(frozen=True)
class PullResult:
    response: PullResponse
    store_scopes: str | None  # the device's scopes changed: remember them (needs a write)


def _changes(rows: list[Row], fmt: Format) -> list[Change]:
    if fmt == "json":
        # Values are stored as canonical JSON: a JSON response embeds them as they are.
        return [Change(r.scope, r.kind, r.key, None if r.val is None else msgspec.Raw(r.val)) for r in rows]
    values: list[Any] = msgspec.json.decode("[" + ",".join(r.val or "null" for r in rows) + "]")
    return [Change(r.scope, r.kind, r.key, v) for r, v in zip(rows, values, strict=True)]


def pull(
    conn: Connection,
    *,
    head: Head,
    device: DeviceState,
    scopes: tuple[str, ...],
    cur: str | None,
    lim: int,
    fmt: Format,
    hlc: str,
) -> PullResult:
    served = "\n".join(scopes)

    def reset(why: str) -> PullResult:
        response = PullResponse(
            v=PROTOCOL_VERSION,
            ep=head.epoch,
            cur=Cursor(head.epoch, 0).format(),
            more=True,
            reset=Reset(why, head.epoch, device.hwm),
            hlc=hlc,
        )
        return PullResult(response, None)

    position = 0
    if cur is not None:
        try:
            cursor = Cursor.parse(cur)
        except CursorError:
            return reset("bad_cursor")
        if cursor.epoch != head.epoch:
            return reset("epoch_changed")
        if cursor.position > head.position:
            return reset("cursor_ahead")
        if 0 < cursor.position < head.horizon:
            return reset("cursor_expired")
        if device.scopes and device.scopes != served:
            return reset("scope_changed")
        position = cursor.position
    limit = min(lim or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    rows = read_page(conn, scopes, position, limit, fresh=position == 0)
    more = len(rows) > limit
    page = rows[:limit]
    end = page[-1].position if more else head.position
    sums: dict[str, str] = {}
    if not more:
        totals = read_sums(conn, scopes)
        sums = {s: checksum_hex(totals.get(s, 0)) for s in scopes}
    response = PullResponse(
        v=PROTOCOL_VERSION,
        ep=head.epoch,
        cur=Cursor(head.epoch, end).format(),
        ch=_changes(page, fmt),
        more=more,
        sums=sums,
        hlc=hlc,
    )
    return PullResult(response, served if device.scopes != served else None)

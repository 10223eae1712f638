"""What the server can tell of a phone before an admin revokes it: when it last synced, how far its
ops reached (the high-water mark and the journal), the proofs its ops promised whose photos never
arrived, and the cash its user still holds. The phone's outbox itself is only on the phone: a
revoked phone keeps it and shows its count (pwa/src/ui/revoked.js) so it can be handed in; this
is the server's side of that conversation.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

import uuid
from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, get
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from server.auth.models import Device, User
from server.auth.principal import ADMIN
from server.cod.models import CashBalance, ProofLink
from server.db import Database
from server.errors import FieldError, NotFound
from server.sync_api.models import SyncBlob, SyncDevice, SyncOp


class MissingProof(msgspec.Struct):
    order_ref: str
    kind: str
    blob: str


class DeviceSyncOut(msgspec.Struct):
    device_id: uuid.UUID
    username: str
    last_seen_at: datetime | None
    last_sync_at: datetime | None
    hwm: int  # every op up to this seq is on the server
    ops: int  # ops journalled from this device
    ops_by_status: dict[str, int]  # applied | flagged | rejected | duplicate
    missing_proofs: list[MissingProof]  # promised by its ops, the photo never uploaded
    cash_held: int  # centavos its user holds (a rider's cash not yet remitted)


def device_sync_state(conn: Connection, device_id: uuid.UUID) -> DeviceSyncOut:
    row = conn.execute(
        select(Device.last_seen_at, User.username)
        .join(User, User.id == Device.user_id)
        .where(Device.id == device_id)
    ).first()
    if row is None:
        raise NotFound(f"no device {device_id}", [FieldError("device_id", "no device has this id")])
    last_seen, username = row
    mark = conn.execute(
        select(SyncDevice.hwm, SyncDevice.updated_at).where(SyncDevice.device_id == device_id)
    ).first()
    by_status = dict(
        conn.execute(
            select(SyncOp.status, func.count()).where(SyncOp.device_id == device_id).group_by(SyncOp.status)
        ).all()
    )
    ops_of_device = select(SyncOp.op_id).where(SyncOp.device_id == device_id)
    missing = conn.execute(
        select(ProofLink.order_ref, ProofLink.kind, ProofLink.blob)
        .where(ProofLink.op_id.in_(ops_of_device))
        .where(~select(SyncBlob.sha256).where(SyncBlob.sha256 == ProofLink.blob).exists())
        .order_by(ProofLink.id)
        .limit(100)
    ).all()
    cash = conn.execute(select(CashBalance.amount).where(CashBalance.holder == username)).scalar()
    counts: dict[str, int] = {str(k): int(v) for k, v in by_status.items()}
    return DeviceSyncOut(
        device_id=device_id,
        username=username,
        last_seen_at=last_seen,
        last_sync_at=mark[1] if mark else None,
        hwm=int(mark[0]) if mark else 0,
        ops=sum(counts.values()),
        ops_by_status=counts,
        missing_proofs=[MissingProof(*m) for m in missing],
        cash_held=int(cash or 0),
    )


class DeviceStateController(Controller):
    path = "/api/v1/devices"
    tags = ["users"]

    @get(
        "/{device_id:uuid}/sync-state",
        opt=ADMIN,
        summary="A device as the server knows it: last sync, ops, proofs never uploaded, cash held",
    )
    async def sync_state(self, db: Database, device_id: uuid.UUID) -> DeviceSyncOut:
        return await db.run_read(device_sync_state, device_id)


device_state_routes: list[Any] = [DeviceStateController]

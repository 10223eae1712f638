"""Push subscriptions: the one writer of who gets pushes on which device.

A browser that subscribes again (a new key, or the same endpoint after a new login) replaces its
row: the endpoint is the browser's identity at its push service. A revoked device's subscriptions
are deleted by the revocation itself, in its transaction (server/auth/services.py, which names
this one table: auth stands below push), and the sender also skips a device revoked meanwhile, so
a lost phone stops showing alerts at once.
"""

from __future__ import annotations

import base64
import uuid

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.db.base import new_id, utcnow
from server.errors import FieldError, InvalidInput, NotFound
from server.push.models import PushSubscription
from server.push.schemas import SubscriptionIn, SubscriptionOut

_COLUMNS = (
    PushSubscription.id,
    PushSubscription.device_id,
    PushSubscription.endpoint,
    PushSubscription.created_at,
    PushSubscription.last_sent_at,
)


def usable_key(p256dh: str) -> bool:
    """Whether the browser's key is a point on P-256 (what encrypting to it needs)."""
    try:
        raw = base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4))
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return False
    return True


def _out(row: object) -> SubscriptionOut:
    r = tuple(row)  # type: ignore[arg-type]
    return SubscriptionOut(id=r[0], device_id=r[1], endpoint=r[2], created_at=r[3], last_sent_at=r[4])


def subscribe(
    conn: Connection, user_id: uuid.UUID, device_id: uuid.UUID, data: SubscriptionIn
) -> SubscriptionOut:
    """Add or replace (by endpoint) this browser's subscription for the caller and their device."""
    if not usable_key(data.keys.p256dh):  # every push to it would fail to encrypt
        raise InvalidInput(
            "p256dh is not a P-256 public key", [FieldError("keys.p256dh", "not a P-256 point")]
        )
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(PushSubscription).values(
        id=new_id(),
        user_id=user_id,
        device_id=device_id,
        endpoint=data.endpoint,
        p256dh=data.keys.p256dh,
        auth=data.keys.auth,
        created_at=utcnow(),
        last_sent_at=None,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["endpoint"],
        set_={
            "user_id": stmt.excluded.user_id,
            "device_id": stmt.excluded.device_id,
            "p256dh": stmt.excluded.p256dh,
            "auth": stmt.excluded.auth,
            "created_at": stmt.excluded.created_at,
        },
    )
    conn.execute(stmt)
    row = conn.execute(select(*_COLUMNS).where(PushSubscription.endpoint == data.endpoint)).one()
    return _out(row)


def list_subscriptions(conn: Connection, user_id: uuid.UUID) -> list[SubscriptionOut]:
    rows = conn.execute(
        select(*_COLUMNS)
        .where(PushSubscription.user_id == user_id)
        .order_by(PushSubscription.created_at.desc(), PushSubscription.id)
    ).all()
    return [_out(r) for r in rows]


def unsubscribe(conn: Connection, user_id: uuid.UUID, subscription_id: uuid.UUID) -> None:
    """Remove one of the caller's own subscriptions (another user's is as good as unknown)."""
    gone = conn.execute(
        delete(PushSubscription).where(
            PushSubscription.id == subscription_id, PushSubscription.user_id == user_id
        )
    ).rowcount
    if not gone:
        raise NotFound(
            f"you have no push subscription {subscription_id}", [FieldError("subscription_id", "unknown")]
        )


def gone(conn: Connection, subscription_ids: list[uuid.UUID]) -> int:
    """The push service said 404/410: the browser dropped these subscriptions; so do we."""
    if not subscription_ids:
        return 0
    return conn.execute(delete(PushSubscription).where(PushSubscription.id.in_(subscription_ids))).rowcount


def mark_sent(conn: Connection, subscription_ids: list[uuid.UUID]) -> None:
    if subscription_ids:
        conn.execute(
            update(PushSubscription)
            .where(PushSubscription.id.in_(subscription_ids))
            .values(last_sent_at=utcnow())
        )

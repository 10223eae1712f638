"""The server's VAPID key pair: made on first use, stored in the database, never made again.

Browsers bind each subscription to the public key they were given; a fresh pair after a restart
would make every subscription fail silently. The pair lives in the database (not a file) so every
server process, on every machine, signs with the same key. Two processes racing on first use both
insert row 1; the loser's insert does nothing and it reads the winner's pair.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.db.base import utcnow
from server.push.models import VapidKey

KEY_ROW = 1


@dataclass(frozen=True)
class Vapid:
    private_pem: str
    public_key: str  # base64url uncompressed P-256 point, what PushManager.subscribe takes


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _new_pair() -> Vapid:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return Vapid(pem, b64url(point))


def read_vapid(conn: Connection) -> Vapid | None:
    row = conn.execute(
        select(VapidKey.private_pem, VapidKey.public_key).where(VapidKey.id == KEY_ROW)
    ).first()
    return Vapid(row[0], row[1]) if row is not None else None


def ensure_vapid(conn: Connection) -> Vapid:
    """The key pair, made now if this database has none yet (a write transaction)."""
    kept = read_vapid(conn)
    if kept is not None:
        return kept
    pair = _new_pair()
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        insert(VapidKey)
        .values(id=KEY_ROW, private_pem=pair.private_pem, public_key=pair.public_key, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["id"])
    )
    kept = read_vapid(conn)
    assert kept is not None
    return kept

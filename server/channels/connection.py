"""The one writer of a shop's connection row (server/channels/models.py ShopConnection).

Two endpoints set parts of it, the API connection (PUT /api/v1/shops/{code}/connection,
server/channels/stock_services.py) and the webhook settings (PUT
/api/v1/shops/{code}/channel-settings, server/intake/review.py); both come here, so a shop has
one row and each part leaves the other alone. Each change is audited: the fields before and
after, and of the secrets only whether they were set, changed or cleared.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.audit.record import audit, changes
from server.channels.models import Shop, ShopConnection
from server.db.base import utcnow

SECRETS = ("app_secret", "access_token", "refresh_token", "webhook_secret")


def write_connection(
    conn: Connection, shop_id: uuid.UUID, platform: str, values: dict[str, Any], actor: str
) -> None:
    """Set these columns of the shop's row (made if missing); the others keep what they had."""
    before = _current(conn, shop_id, ("platform", *values))
    changed = {"platform": platform, **values, "updated_at": utcnow()}
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ShopConnection).values({"shop_id": shop_id, **changed})
    conn.execute(stmt.on_conflict_do_update(index_elements=["shop_id"], set_=changed))
    after = {"platform": platform, **values}
    code = conn.execute(select(Shop.code).where(Shop.id == shop_id)).scalar_one()
    audit(conn, "shop.connection.changed", actor, "shop", code, **changes(before, after, SECRETS))


def _current(conn: Connection, shop_id: uuid.UUID, columns: tuple[str, ...]) -> dict[str, Any]:
    """These columns of the shop's row as they stand (empty for a shop not connected yet)."""
    table = ShopConnection.__table__
    row = conn.execute(select(*(table.c[c] for c in columns)).where(table.c.shop_id == shop_id)).first()
    return dict(row._mapping) if row is not None else {}

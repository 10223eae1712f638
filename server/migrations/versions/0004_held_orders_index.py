"""orders: a partial index of the held ones, so the reaction that retries held orders when stock
is freed (server/writes.py) finds them without scanning every order

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HELD = sa.text("status = 'on_hold'")


def upgrade() -> None:
    op.create_index("ix_orders_on_hold", "orders", ["placed_at"], postgresql_where=_HELD, sqlite_where=_HELD)


def downgrade() -> None:
    op.drop_index("ix_orders_on_hold", table_name="orders")

"""orders: an index on the customer's phone, so the console's order search by phone (an admin
answering a customer's call) finds their orders without scanning every order

Revision ID: 0016
Revises: 0010
Create Date: 2026-12-04 22:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_orders_phone", "orders", ["phone"])


def downgrade() -> None:
    op.drop_index("ix_orders_phone", table_name="orders")

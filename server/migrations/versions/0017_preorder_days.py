"""stock_rules.preorder_days: a shop or listing that sells pre-orders shows units arriving within
that many days as well as free stock (0 = off, the default for every existing rule)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 23:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stock_rules") as batch:
        batch.add_column(sa.Column("preorder_days", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("stock_rules") as batch:
        batch.drop_column("preorder_days")

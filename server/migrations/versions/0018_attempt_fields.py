"""delivery_attempts.received_by and .reschedule_on: who took a delivered parcel, and the Manila day
a failed one is to be tried again (delivery.attempted@v2); until now the phone wrote both into the
note. Existing attempts keep them empty.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delivery_attempts") as batch:
        batch.add_column(sa.Column("received_by", sa.String(80), nullable=False, server_default=""))
        batch.add_column(sa.Column("reschedule_on", sa.String(10), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("delivery_attempts") as batch:
        batch.drop_column("reschedule_on")
        batch.drop_column("received_by")

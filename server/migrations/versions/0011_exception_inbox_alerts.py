"""exceptions as the one inbox: severity, subject, acknowledgement, assignment, escalation, dedupe;
the seller's alert settings

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = server.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("exceptions") as batch:
        # Existing rows are warnings raised by the system, at level 0, never deduplicated.
        batch.add_column(sa.Column("severity", sa.String(length=8), nullable=False, server_default="warning"))
        batch.add_column(sa.Column("subject_kind", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("subject_id", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("raised_by", sa.String(length=64), nullable=False, server_default="system")
        )
        batch.add_column(sa.Column("acknowledged_at", _TIME, nullable=True))
        batch.add_column(sa.Column("acknowledged_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("assigned_to", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("escalation_level", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("escalated_at", _TIME, nullable=True))
        batch.add_column(sa.Column("dedupe_key", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("last_notified_at", _TIME, nullable=True))
        batch.add_column(sa.Column("updated_at", _TIME, nullable=True))
        batch.add_column(sa.Column("action", sa.String(length=32), nullable=True))
        batch.create_index("ix_exceptions_subject", ["subject_kind", "subject_id"], unique=False)
        batch.create_index("uq_exceptions_dedupe_key", ["dedupe_key"], unique=True)
    # The ship-by rule, every minute: only orders whose own deadline is near are read.
    op.create_index("ix_orders_status_ship_by", "orders", ["status", "ship_by"])
    op.create_table(
        "alert_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("settings", _JSON, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_settings")),
    )


def downgrade() -> None:
    op.drop_table("alert_settings")
    op.drop_index("ix_orders_status_ship_by", table_name="orders")
    with op.batch_alter_table("exceptions") as batch:
        batch.drop_index("uq_exceptions_dedupe_key")
        batch.drop_index("ix_exceptions_subject")
        for column in (
            "action",
            "updated_at",
            "last_notified_at",
            "dedupe_key",
            "escalated_at",
            "escalation_level",
            "assigned_to",
            "acknowledged_by",
            "acknowledged_at",
            "raised_by",
            "subject_id",
            "subject_kind",
            "severity",
        ):
            batch.drop_column(column)

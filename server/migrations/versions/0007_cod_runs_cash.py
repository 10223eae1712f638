"""cash on delivery: run dates and stop notes, the COD policy and riders' cash ceilings, parcels
returning to sender, and remittances matched to collections

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("delivery_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_date", sa.String(length=10), server_default="", nullable=False))
    with op.batch_alter_table("run_stops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notes", sa.String(length=500), server_default="", nullable=False))
    op.create_table(
        "cod_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("straight_to_rts", sa.String(length=255), nullable=False),
        sa.Column("rts_overdue_days", sa.Integer(), nullable=False),
        sa.Column("cash_ceiling", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cod_policy")),
    )
    op.create_table(
        "rider_cash_ceilings",
        sa.Column("rider", sa.String(length=64), nullable=False),
        sa.Column("cash_ceiling", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("rider", name=op.f("pk_rider_cash_ceilings")),
    )
    op.create_table(
        "rts_parcels",
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("waybill", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("opened_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("returning_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("overdue_raised_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_rts_parcels_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_rts_parcels")),
    )
    with op.batch_alter_table("rts_parcels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rts_parcels_opened_at"), ["opened_at"], unique=False)
    op.create_table(
        "remittances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("received_by", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("expected", sa.BigInteger(), nullable=False),
        sa.Column("denominations", JSON, nullable=False),
        sa.Column("matched", JSON, nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittances")),
    )
    with op.batch_alter_table("remittances", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remittances_holder"), ["holder"], unique=False)


def downgrade() -> None:
    op.drop_table("remittances")
    op.drop_table("rts_parcels")
    op.drop_table("rider_cash_ceilings")
    op.drop_table("cod_policy")
    with op.batch_alter_table("run_stops", schema=None) as batch_op:
        batch_op.drop_column("notes")
    with op.batch_alter_table("delivery_runs", schema=None) as batch_op:
        batch_op.drop_column("run_date")

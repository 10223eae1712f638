"""couriers: accounts with their COD fee contract and remittance cycle, parcels by waybill, status
events, remittance batches with their rows, findings and rejected rows

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.db.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "couriers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("fee_percent_bp", sa.Integer(), nullable=False),
        sa.Column("fee_min", sa.BigInteger(), nullable=False),
        sa.Column("fee_flat", sa.BigInteger(), nullable=False),
        sa.Column("vat_bp", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.String(length=16), nullable=False),
        sa.Column("cycle_days", sa.Integer(), nullable=False),
        sa.Column("cycle_weekday", sa.Integer(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("webhook_secret", sa.String(length=128), nullable=False),
        sa.Column(
            "remittance_columns",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status_columns",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "status_map",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "reason_map",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_couriers")),
        sa.UniqueConstraint("code", name=op.f("uq_couriers_code")),
    )
    op.create_table(
        "courier_status_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("courier_id", sa.Uuid(), nullable=False),
        sa.Column("waybill", sa.String(length=64), nullable=False),
        sa.Column("raw_status", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("happened_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=255), nullable=False),
        sa.Column("received_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("applied_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["couriers.id"], name=op.f("fk_courier_status_events_courier_id_couriers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_status_events")),
        sa.UniqueConstraint(
            "courier_id",
            "waybill",
            "raw_status",
            "happened_at",
            name=op.f("uq_courier_status_events_courier_id_waybill_raw_status_happened_at"),
        ),
    )
    op.create_index(
        "ix_courier_status_events_review", "courier_status_events", ["courier_id", "event"], unique=False
    )
    op.create_table(
        "remittance_batches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("courier_id", sa.Uuid(), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_done", sa.Integer(), nullable=False),
        sa.Column("rows_new", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("expected_total", sa.BigInteger(), nullable=False),
        sa.Column("collected_total", sa.BigInteger(), nullable=False),
        sa.Column("fee_total", sa.BigInteger(), nullable=False),
        sa.Column("allowed_fee_total", sa.BigInteger(), nullable=False),
        sa.Column("remitted_total", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["couriers.id"], name=op.f("fk_remittance_batches_courier_id_couriers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_batches")),
        sa.UniqueConstraint(
            "courier_id", "file_sha256", name=op.f("uq_remittance_batches_courier_id_file_sha256")
        ),
    )
    op.create_table(
        "courier_rejects",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("courier_id", sa.Uuid(), nullable=True),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column(
            "raw",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["remittance_batches.id"],
            name=op.f("fk_courier_rejects_batch_id_remittance_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["couriers.id"], name=op.f("fk_courier_rejects_courier_id_couriers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_rejects")),
    )
    op.create_index("ix_courier_rejects_batch_row", "courier_rejects", ["batch_id", "row_no"], unique=True)
    op.create_table(
        "courier_parcels",
        sa.Column("courier_id", sa.Uuid(), nullable=False),
        sa.Column("waybill", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attached_by", sa.String(length=64), nullable=False),
        sa.Column("attached_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["couriers.id"], name=op.f("fk_courier_parcels_courier_id_couriers")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_courier_parcels_order_id_orders")),
        sa.PrimaryKeyConstraint("courier_id", "waybill", name=op.f("pk_courier_parcels")),
        sa.UniqueConstraint("order_id", name=op.f("uq_courier_parcels_order_id")),
    )
    op.create_table(
        "remittance_findings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("batch_id", sa.Uuid(), nullable=True),
        sa.Column("courier_id", sa.Uuid(), nullable=False),
        sa.Column("waybill", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("exception_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["remittance_batches.id"],
            name=op.f("fk_remittance_findings_batch_id_remittance_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["courier_id"], ["couriers.id"], name=op.f("fk_remittance_findings_courier_id_couriers")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_remittance_findings_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_findings")),
    )
    op.create_index(
        op.f("ix_remittance_findings_batch_id"), "remittance_findings", ["batch_id"], unique=False
    )
    op.create_index(
        "ix_remittance_findings_courier_waybill",
        "remittance_findings",
        ["courier_id", "waybill", "kind"],
        unique=False,
    )
    op.create_table(
        "remittance_rows",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("batch_id", sa.Uuid(), nullable=False),
        sa.Column("courier_id", sa.Uuid(), nullable=False),
        sa.Column("waybill", sa.String(length=64), nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("expected_cod", sa.BigInteger(), nullable=False),
        sa.Column("collected", sa.BigInteger(), nullable=False),
        sa.Column("fee", sa.BigInteger(), nullable=False),
        sa.Column("allowed_fee", sa.BigInteger(), nullable=False),
        sa.Column("remitted", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["remittance_batches.id"],
            name=op.f("fk_remittance_rows_batch_id_remittance_batches"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_remittance_rows_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remittance_rows")),
        sa.UniqueConstraint(
            "courier_id", "waybill", "batch_id", name=op.f("uq_remittance_rows_courier_id_waybill_batch_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("remittance_rows")
    op.drop_index("ix_remittance_findings_courier_waybill", table_name="remittance_findings")
    op.drop_index(op.f("ix_remittance_findings_batch_id"), table_name="remittance_findings")
    op.drop_table("remittance_findings")
    op.drop_table("courier_parcels")
    op.drop_index("ix_courier_rejects_batch_row", table_name="courier_rejects")
    op.drop_table("courier_rejects")
    op.drop_table("remittance_batches")
    op.drop_index("ix_courier_status_events_review", table_name="courier_status_events")
    op.drop_table("courier_status_events")
    op.drop_table("couriers")

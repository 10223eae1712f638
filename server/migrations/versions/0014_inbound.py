"""inbound: suppliers, purchase orders, shipments through customs, landed costs, receipts, variances

Revision ID: 0014
Revises: 0010
Create Date: 2026-12-04 22:13:19.505919
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("code", name=op.f("uq_suppliers_code")),
    )
    op.create_table(
        "inbound_shipments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("container_no", sa.String(length=32), nullable=False),
        sa.Column("bill_of_lading", sa.String(length=64), nullable=False),
        sa.Column("airway_bill", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate_micros", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=False),
        sa.Column("hold_reason", sa.String(length=255), nullable=False),
        sa.Column("overdue_for", sa.Date(), nullable=True),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_inbound_shipments_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_shipments")),
        sa.UniqueConstraint("code", name=op.f("uq_inbound_shipments_code")),
    )
    op.create_index("ix_inbound_shipments_status", "inbound_shipments", ["status", "expected_on"])

    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("supplier_id", sa.Uuid(), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_purchase_orders_supplier_id_suppliers")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_purchase_orders_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_purchase_orders_number")),
    )
    op.create_table(
        "inbound_costs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rate_micros", sa.BigInteger(), nullable=False),
        sa.Column("centavos", sa.BigInteger(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["inbound_shipments.id"],
            name=op.f("fk_inbound_costs_shipment_id_inbound_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_costs")),
    )
    op.create_table(
        "inbound_milestones",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("milestone", sa.String(length=32), nullable=False),
        sa.Column("expected_on", sa.Date(), nullable=True),
        sa.Column("actual_on", sa.Date(), nullable=True),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("recorded_by", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["inbound_shipments.id"],
            name=op.f("fk_inbound_milestones_shipment_id_inbound_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_milestones")),
        sa.UniqueConstraint(
            "shipment_id", "milestone", name=op.f("uq_inbound_milestones_shipment_id_milestone")
        ),
    )
    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("po_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_cost", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["po_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_po_id_purchase_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_purchase_order_lines_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint("po_id", "line_no", name=op.f("uq_purchase_order_lines_po_id_line_no")),
    )
    op.create_table(
        "inbound_shipment_lines",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("po_line_id", sa.Uuid(), nullable=False),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("expected_qty", sa.Integer(), nullable=False),
        sa.Column("received_qty", sa.Integer(), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["po_line_id"],
            ["purchase_order_lines.id"],
            name=op.f("fk_inbound_shipment_lines_po_line_id_purchase_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["inbound_shipments.id"],
            name=op.f("fk_inbound_shipment_lines_shipment_id_inbound_shipments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_inbound_shipment_lines_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_shipment_lines")),
        sa.UniqueConstraint(
            "shipment_id", "po_line_id", name=op.f("uq_inbound_shipment_lines_shipment_id_po_line_id")
        ),
    )
    op.create_table(
        "inbound_receipts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=True),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("bin_id", sa.Uuid(), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=80), nullable=False),
        sa.Column("received_by", sa.String(length=64), nullable=False),
        sa.Column("received_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bin_id"], ["bins.id"], name=op.f("fk_inbound_receipts_bin_id_bins")),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["inbound_shipment_lines.id"],
            name=op.f("fk_inbound_receipts_line_id_inbound_shipment_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["inbound_shipments.id"],
            name=op.f("fk_inbound_receipts_shipment_id_inbound_shipments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_inbound_receipts_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_receipts")),
        sa.UniqueConstraint("source_key", name=op.f("uq_inbound_receipts_source_key")),
    )
    op.create_table(
        "inbound_variances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=True),
        sa.Column("sku_id", sa.Uuid(), nullable=False),
        sa.Column("bin_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("exception_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["bin_id"], ["bins.id"], name=op.f("fk_inbound_variances_bin_id_bins")),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["inbound_shipment_lines.id"],
            name=op.f("fk_inbound_variances_line_id_inbound_shipment_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["inbound_shipments.id"],
            name=op.f("fk_inbound_variances_shipment_id_inbound_shipments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_inbound_variances_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_variances")),
    )
    op.create_index("ix_inbound_variances_shipment", "inbound_variances", ["shipment_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_inbound_variances_shipment", table_name="inbound_variances")

    op.drop_table("inbound_variances")
    op.drop_table("inbound_receipts")
    op.drop_table("inbound_shipment_lines")
    op.drop_table("purchase_order_lines")
    op.drop_table("inbound_milestones")
    op.drop_table("inbound_costs")
    op.drop_table("purchase_orders")
    op.drop_index("ix_inbound_shipments_status", table_name="inbound_shipments")

    op.drop_table("inbound_shipments")
    op.drop_table("suppliers")

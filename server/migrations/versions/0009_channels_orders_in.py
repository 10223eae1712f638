"""channels, orders in: webhook settings per shop, the webhook inbox, signature failures, the
status review queue, what each channel last said about each order; orders.address_flag

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.db.base

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "channel_signature_failures",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("shop_code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("remote", sa.String(length=64), nullable=False),
        sa.Column("received_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_signature_failures")),
    )
    op.create_index(
        op.f("ix_channel_signature_failures_received_at"),
        "channel_signature_failures",
        ["received_at"],
        unique=False,
    )
    op.create_table(
        "channel_status_map",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("raw_status", sa.String(length=64), nullable=False),
        sa.Column("canonical", sa.String(length=24), nullable=True),
        sa.Column("seen", sa.Integer(), nullable=False),
        sa.Column("example_order", sa.String(length=64), nullable=False),
        sa.Column("first_seen", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mapped_by", sa.String(length=64), nullable=True),
        sa.Column("mapped_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("platform", "raw_status", name=op.f("pk_channel_status_map")),
    )
    op.create_table(
        "channel_webhooks",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("shop_id", sa.Uuid(), nullable=False),
        sa.Column("event_key", sa.String(length=128), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("received_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_channel_webhooks_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_webhooks")),
        sa.UniqueConstraint("shop_id", "event_key", name=op.f("uq_channel_webhooks_shop_id_event_key")),
    )
    op.create_index("ix_channel_webhooks_state", "channel_webhooks", ["state", "id"], unique=False)
    op.create_table(
        "shop_channel_settings",
        sa.Column("shop_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("app_key", sa.String(length=128), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("callback_url", sa.String(length=512), nullable=False),
        sa.Column("cod_gateways", JSON_DOC, nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_shop_channel_settings_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shop_channel_settings")),
    )
    op.create_table(
        "channel_orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shop_id", sa.Uuid(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("raw_status", sa.String(length=64), nullable=False),
        sa.Column("canonical", sa.String(length=24), nullable=True),
        sa.Column("flags", JSON_DOC, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("channel_updated_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("hold", sa.String(length=500), nullable=True),
        sa.Column("updated_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_channel_orders_order_id_orders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_channel_orders_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channel_orders")),
        sa.UniqueConstraint("shop_id", "external_id", name=op.f("uq_channel_orders_shop_id_external_id")),
    )
    op.add_column("orders", sa.Column("address_flag", sa.String(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column("orders", "address_flag")
    op.drop_table("channel_orders")
    op.drop_table("shop_channel_settings")
    op.drop_index("ix_channel_webhooks_state", table_name="channel_webhooks")
    op.drop_table("channel_webhooks")
    op.drop_table("channel_status_map")
    op.drop_index(op.f("ix_channel_signature_failures_received_at"), table_name="channel_signature_failures")
    op.drop_table("channel_signature_failures")

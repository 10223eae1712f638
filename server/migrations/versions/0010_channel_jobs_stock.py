"""channels stock out: durable jobs, shop API connections, stock rules, listing push state

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = server.db.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("payload", _JSON, nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("run_at", _TIME, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", _TIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_jobs_kind_key")),
    )
    op.create_index("ix_jobs_due", "jobs", ["state", "run_at"])
    op.create_table(
        "shop_connections",
        sa.Column("shop_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("base_url", sa.String(length=255), nullable=False),
        sa.Column("app_key", sa.String(length=128), nullable=False),
        sa.Column("app_secret", sa.String(length=255), nullable=False),
        sa.Column("access_token", sa.String(length=512), nullable=False),
        sa.Column("refresh_token", sa.String(length=512), nullable=False),
        sa.Column("token_expires_at", _TIME, nullable=True),
        sa.Column("extra", _JSON, nullable=False),
        sa.Column("pulled_until", _TIME, nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_shop_connections_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shop_connections")),
    )
    op.create_table(
        "stock_rules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("shop_id", sa.Uuid(), nullable=False),
        sa.Column("listing_id", sa.Uuid(), nullable=True),
        sa.Column("buffer_units", sa.Integer(), nullable=False),
        sa.Column("buffer_percent", sa.Integer(), nullable=False),
        sa.Column("only_shop_below", sa.Integer(), nullable=False),
        sa.Column("only_shop_id", sa.Uuid(), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_stock_rules_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["only_shop_id"],
            ["shops.id"],
            name=op.f("fk_stock_rules_only_shop_id_shops"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_stock_rules_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_rules")),
        sa.UniqueConstraint("shop_id", "listing_id", name=op.f("uq_stock_rules_shop_id_listing_id")),
    )
    op.create_table(
        "listing_stock",
        sa.Column("listing_id", sa.Uuid(), nullable=False),
        sa.Column("shop_id", sa.Uuid(), nullable=False),
        sa.Column("campaign_locked", sa.Integer(), nullable=False),
        sa.Column("push_due", sa.Boolean(), nullable=False),
        sa.Column("due_seq", sa.Integer(), nullable=False),
        sa.Column("pushed_qty", sa.Integer(), nullable=True),
        sa.Column("pushed_at", _TIME, nullable=True),
        sa.Column("due_since", _TIME, nullable=True),
        sa.Column("push_error", sa.String(length=512), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_stock_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_listing_stock_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("listing_id", name=op.f("pk_listing_stock")),
    )
    op.create_index("ix_listing_stock_due", "listing_stock", ["shop_id", "push_due"])


def downgrade() -> None:
    op.drop_index("ix_listing_stock_due", table_name="listing_stock")
    op.drop_table("listing_stock")
    op.drop_table("stock_rules")
    op.drop_table("shop_connections")
    op.drop_index("ix_jobs_due", table_name="jobs")
    op.drop_table("jobs")

"""console server side: KPI rollup, ERP feed outbox and webhooks, audit search, search and KPI
indexes, channel credentials encrypted at rest

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-04 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.base
import server.db.encrypted

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = server.db.base.UTCDateTime(timezone=True)
_ENC = server.db.encrypted.EncryptedText()
_BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# (table, key column, secret columns, their length before)
_SECRETS = (
    ("shop_channel_settings", "shop_id", (("secret", 255),)),
    ("shop_connections", "shop_id", (("app_secret", 255), ("access_token", 512), ("refresh_token", 512))),
)


def upgrade() -> None:
    op.create_table(
        "kpi_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("kpi", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("warehouse", sa.String(length=32), nullable=False),
        sa.Column("numerator", sa.Float(), nullable=False),
        sa.Column("denominator", sa.Float(), nullable=False),
        sa.Column("computed_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("day", "kpi", "channel", "warehouse", name=op.f("pk_kpi_days")),
    )
    op.create_table(
        "erp_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_head")),
    )
    op.execute("INSERT INTO erp_head (id, seq) VALUES (1, 0)")
    op.create_table(
        "erp_events",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=True),
        sa.Column("occurred_at", _TIME, nullable=False),
        sa.Column("data", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_erp_events")),
        sa.UniqueConstraint("id", name=op.f("uq_erp_events_id")),
    )
    op.create_table(
        "erp_endpoints",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("secret", _ENC, nullable=False),
        sa.Column("types", _JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_endpoints")),
        sa.UniqueConstraint("name", name=op.f("uq_erp_endpoints_name")),
    )
    op.create_table(
        "erp_deliveries",
        sa.Column("id", _BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=96), nullable=False),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", _TIME, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_attempt_at", _TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["erp_endpoints.id"],
            name=op.f("fk_erp_deliveries_endpoint_id_erp_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erp_deliveries")),
        sa.UniqueConstraint("endpoint_id", "seq", name=op.f("uq_erp_deliveries_endpoint_id_seq")),
    )
    op.create_index("ix_erp_deliveries_endpoint_state", "erp_deliveries", ["endpoint_id", "state", "seq"])

    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("entity", sa.String(length=32), server_default="", nullable=False))
        batch.add_column(sa.Column("entity_id", sa.String(length=64), server_default="", nullable=False))
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_actor_at", "audit_log", ["actor", "at"])
    op.create_index("ix_audit_log_entity", "audit_log", ["entity", "entity_id"])

    op.create_index("ix_orders_external_id", "orders", ["external_id"])
    op.create_index("ix_orders_ship_by", "orders", ["ship_by"])
    op.create_index("ix_order_status_changes_to_status_at", "order_status_changes", ["to_status", "at"])
    op.create_index("ix_cash_entries_order_ref", "cash_entries", ["order_ref"])
    op.create_index("ix_exceptions_order_id", "exceptions", ["order_id"])
    op.create_index("ix_bin_counts_updated_at", "bin_counts", ["updated_at"])
    op.create_index("ix_stock_movements_created_at", "stock_movements", ["created_at"])
    op.create_table(
        "report_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_files")),
        sa.UniqueConstraint("kind", "day", name=op.f("uq_report_files_kind_day")),
    )

    for table, key, columns in _SECRETS:
        with op.batch_alter_table(table) as batch:
            for name, length in columns:
                batch.alter_column(name, existing_type=sa.String(length=length), type_=sa.Text())
        _rewrite(table, key, [c for c, _ in columns], encrypt=True)


def _rewrite(table: str, key: str, columns: list[str], *, encrypt: bool) -> None:
    """Encrypt (or, going down, decrypt) the stored credentials in place."""
    from server.db.encrypted import decrypt
    from server.db.encrypted import encrypt as seal

    conn = op.get_bind()
    t = sa.table(table, sa.column(key), *(sa.column(c, sa.Text()) for c in columns))
    for row in conn.execute(sa.select(t)).mappings().all():
        values = {}
        for c in columns:
            plain = decrypt(row[c] or "")
            values[c] = seal(plain) if encrypt else plain
        conn.execute(sa.update(t).where(t.c[key] == row[key]).values(**values))


def downgrade() -> None:
    for table, key, columns in _SECRETS:
        _rewrite(table, key, [c for c, _ in columns], encrypt=False)
        with op.batch_alter_table(table) as batch:
            for name, length in columns:
                batch.alter_column(name, existing_type=sa.Text(), type_=sa.String(length=length))
    op.drop_table("report_files")
    for name, table in (
        ("ix_stock_movements_created_at", "stock_movements"),
        ("ix_bin_counts_updated_at", "bin_counts"),
        ("ix_exceptions_order_id", "exceptions"),
        ("ix_cash_entries_order_ref", "cash_entries"),
        ("ix_order_status_changes_to_status_at", "order_status_changes"),
        ("ix_orders_ship_by", "orders"),
        ("ix_orders_external_id", "orders"),
        ("ix_audit_log_entity", "audit_log"),
        ("ix_audit_log_actor_at", "audit_log"),
        ("ix_audit_log_at", "audit_log"),
    ):
        op.drop_index(name, table_name=table)
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("entity_id")
        batch.drop_column("entity")
    op.drop_index("ix_erp_deliveries_endpoint_state", table_name="erp_deliveries")
    op.drop_table("erp_deliveries")
    op.drop_table("erp_endpoints")
    op.drop_table("erp_events")
    op.drop_table("erp_head")
    op.drop_table("kpi_days")

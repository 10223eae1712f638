"""orders and exceptions: logged_at (the change log already has this version), exceptions indexed
by creation and resolution time for the projector; sync_log_marks (head positions over time, for
dropping old tombstones); count_tasks; order_lines loses an index its unique (order_id, line_no)
constraint already provides

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import server.db.base

JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE ... ADD COLUMN on both databases: no table rebuild on a big orders table.
    op.add_column("orders", sa.Column("logged_at", server.db.base.UTCDateTime(timezone=True), nullable=True))
    op.drop_index(op.f("ix_order_lines_order_id"), table_name="order_lines")
    op.add_column(
        "exceptions", sa.Column("logged_at", server.db.base.UTCDateTime(timezone=True), nullable=True)
    )
    op.create_index("ix_exceptions_created_at", "exceptions", ["created_at"], unique=False)
    op.create_index("ix_exceptions_resolved_at", "exceptions", ["resolved_at"], unique=False)
    op.create_table(
        "sync_log_marks",
        sa.Column("at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("at", name=op.f("pk_sync_log_marks")),
    )
    op.create_table(
        "count_tasks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("warehouse_id", sa.Uuid(), nullable=False),
        sa.Column("bin_id", sa.Uuid(), nullable=True),
        sa.Column("skus", JSON_DOC, nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", server.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", server.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["bin_id"], ["bins.id"], name=op.f("fk_count_tasks_bin_id_bins")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_count_tasks_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_tasks")),
    )
    op.create_index("ix_count_tasks_open", "count_tasks", ["warehouse_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_count_tasks_open", table_name="count_tasks")
    op.drop_table("count_tasks")
    op.drop_table("sync_log_marks")
    op.drop_index("ix_exceptions_resolved_at", table_name="exceptions")
    op.drop_index("ix_exceptions_created_at", table_name="exceptions")
    with op.batch_alter_table("exceptions", schema=None) as batch_op:
        batch_op.drop_column("logged_at")
    op.create_index(op.f("ix_order_lines_order_id"), "order_lines", ["order_id"], unique=False)
    with op.batch_alter_table("orders", schema=None) as batch_op:  # SQLite drops columns by rebuilding
        batch_op.drop_column("logged_at")

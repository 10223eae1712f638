"""gaps: the courier a shop's parcels go with (waves grouped by courier); a shop's webhook
settings and API connection in one table (shop_channel_settings folded into shop_connections)

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-04 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("shops") as batch:
        batch.add_column(sa.Column("courier", sa.String(length=32), nullable=False, server_default=""))
    # One row per shop for everything its platform needs: the webhook settings join the API
    # connection. A shop with webhook settings and no API connection gets a row with base_url "".
    with op.batch_alter_table("shop_connections") as batch:
        # Text: the secret is stored encrypted (server/db/encrypted.py, migration 0013), longer
        # than the secret itself; copied below as it is stored.
        batch.add_column(sa.Column("webhook_secret", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("callback_url", sa.String(length=512), nullable=False, server_default=""))
        batch.add_column(sa.Column("cod_gateways", _JSON, nullable=False, server_default="[]"))
        batch.alter_column("base_url", existing_type=sa.String(length=255), server_default="")
    bind = op.get_bind()
    old = sa.table(
        "shop_channel_settings",
        sa.column("shop_id", sa.Uuid()),
        sa.column("platform", sa.String()),
        sa.column("app_key", sa.String()),
        sa.column("secret", sa.String()),
        sa.column("callback_url", sa.String()),
        sa.column("cod_gateways", _JSON),
    )
    new = sa.table(
        "shop_connections",
        sa.column("shop_id", sa.Uuid()),
        sa.column("platform", sa.String()),
        sa.column("base_url", sa.String()),
        sa.column("app_key", sa.String()),
        sa.column("app_secret", sa.String()),
        sa.column("access_token", sa.String()),
        sa.column("refresh_token", sa.String()),
        sa.column("extra", _JSON),
        sa.column("webhook_secret", sa.String()),
        sa.column("callback_url", sa.String()),
        sa.column("cod_gateways", _JSON),
        sa.column("updated_at", sa.DateTime(timezone=True)),
    )
    connected = {r[0] for r in bind.execute(sa.select(new.c.shop_id))}
    for shop_id, platform, app_key, secret, url, gateways in bind.execute(sa.select(old)).all():
        settings = {"webhook_secret": secret or "", "callback_url": url or "", "cod_gateways": gateways or []}
        if shop_id in connected:
            # The API connection's platform and app key stand (they were set for its calls);
            # its app key is the webhooks' too for Lazada and TikTok.
            bind.execute(sa.update(new).where(new.c.shop_id == shop_id).values(**settings))
        else:
            bind.execute(
                sa.insert(new).values(
                    shop_id=shop_id,
                    platform=platform,
                    base_url="",
                    app_key=app_key or "",
                    app_secret="",
                    access_token="",
                    refresh_token="",
                    extra={},
                    updated_at=sa.func.now(),
                    **settings,
                )
            )
    op.drop_table("shop_channel_settings")


def downgrade() -> None:
    op.create_table(
        "shop_channel_settings",
        sa.Column("shop_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("app_key", sa.String(length=128), nullable=False),
        sa.Column("secret", sa.String(length=255), nullable=False),
        sa.Column("callback_url", sa.String(length=512), nullable=False),
        sa.Column("cod_gateways", _JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_shop_channel_settings_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shop_channel_settings")),
    )
    op.execute(
        "INSERT INTO shop_channel_settings (shop_id, platform, app_key, secret, callback_url, cod_gateways) "
        "SELECT shop_id, platform, app_key, webhook_secret, callback_url, cod_gateways FROM shop_connections "
        "WHERE webhook_secret <> ''"
    )
    op.execute("DELETE FROM shop_connections WHERE base_url = ''")
    with op.batch_alter_table("shop_connections") as batch:
        batch.drop_column("cod_gateways")
        batch.drop_column("callback_url")
        batch.drop_column("webhook_secret")
    with op.batch_alter_table("shops") as batch:
        batch.drop_column("courier")

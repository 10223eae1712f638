"""Alembic environment: runs migrations over Bodega's own async engine setup."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from server.db.engine import create_engines
from server.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by server.db.migrate"
    writer, reader = create_engines(url)
    try:
        async with writer.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
    finally:
        await writer.dispose()
        if reader is not writer:
            await reader.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `bodega db upgrade`")
asyncio.run(_main())

"""Schema migrations: upgrade, and the check the server runs before it starts."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from server.db.engine import Database

# The migrations sit above every domain (server/migrations/): they describe all of their tables.
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class SchemaMismatch(RuntimeError):
    """The database is not at the revision this code expects."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database. Alembic's env runs its own event loop, so call this off the loop."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)


async def current_revision(db: Database) -> str | None:
    def _current(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    async with db.reader.connect() as conn:
        return await conn.run_sync(_current)


async def check_schema(db: Database) -> None:
    """Raise SchemaMismatch with what to run unless the database is exactly at head."""
    current = await current_revision(db)
    head = head_revision()
    if current == head:
        return
    known = {rev.revision for rev in ScriptDirectory.from_config(alembic_config(db.url)).walk_revisions()}
    if current is None:
        raise SchemaMismatch("the database has not been migrated: run `bodega db upgrade`")
    if current not in known:
        raise SchemaMismatch(
            f"the database is at revision {current}, newer than this code knows (head {head}): "
            "upgrade Bodega, or point BODEGA_DATABASE_URL at the right database"
        )
    raise SchemaMismatch(
        f"the database is at revision {current}, code expects {head}: run `bodega db upgrade`"
    )

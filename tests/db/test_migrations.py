"""The migrations produce exactly the schema the models describe, and the server refuses a
database that is not at the code's revision."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection

from server.db import Database
from server.db.migrate import SchemaMismatch, check_schema, head_revision, upgrade
from server.models import metadata
from tests.conftest import _sync_url, run


def test_migrated_schema_equals_models(database_url: str) -> None:
    engine = create_engine(_sync_url(database_url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff: list[Any] = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"


def test_unmigrated_database_is_refused(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"

    async def check() -> None:
        db = Database(url)
        try:
            await check_schema(db)
        finally:
            await db.dispose()

    with pytest.raises(SchemaMismatch, match="bodega db upgrade"):
        run(check())


def test_newer_database_is_refused(tmp_path: Any) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'newer.db'}"
    upgrade(url)
    engine = create_engine(_sync_url(url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed9999'"))
    engine.dispose()

    async def check() -> None:
        db = Database(url)
        try:
            await check_schema(db)
        finally:
            await db.dispose()

    with pytest.raises(SchemaMismatch, match="newer than this code"):
        run(check())


def test_head_is_known() -> None:
    assert head_revision()


def _writer_pragmas(conn: Connection) -> tuple[Any, ...]:
    """The writer connection's settings, read inside one of its transactions."""
    names = ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
    return tuple(conn.execute(text(f"PRAGMA {name}")).scalar() for name in names)


def test_sqlite_connections_are_set_up_for_a_server(sqlite_url: str) -> None:
    async def pragmas() -> tuple[Any, ...]:
        db = Database(sqlite_url)
        try:
            return await db.run_write(_writer_pragmas)
        finally:
            await db.dispose()

    assert run(pragmas()) == ("wal", 1, 1, 10000)

"""How every SQLite connection of Bodega is set up (server process, writer thread, writer process)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import AsyncEngine

from server.db.checkpoint import WRITER_BACKSTOP_PAGES

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
)
WRITER_CACHE_KB = 65_536


def prepare_sqlite(engine: AsyncEngine | Engine, *, writer: bool) -> None:
    sync_engine = engine.sync_engine if isinstance(engine, AsyncEngine) else engine
    # Writers: a bigger page cache (the ledgers' indexes stay in memory), and checkpoints left to
    # the server's checkpoint thread (server/db/checkpoint.py) with a high backstop.
    writer_pragmas = (
        (f"PRAGMA cache_size=-{WRITER_CACHE_KB}", f"PRAGMA wal_autocheckpoint={WRITER_BACKSTOP_PAGES}")
        if writer
        else ()
    )

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from the driver so BEGIN is ours to issue.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        for pragma in (*SQLITE_PRAGMAS, *writer_pragmas):
            cur.execute(pragma)
        cur.close()

    begin_sql = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin_sql)

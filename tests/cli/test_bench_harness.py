"""The benchmarks' own plumbing (server/bench/harness.py): each run gets a database of its own,
SQLite by default or one created on a PostgreSQL server and dropped after, even when the run fails."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from server.bench.harness import check_workers, fresh_database
from tests.conftest import PG_SKIP_REASON, PG_URL


def test_the_default_is_a_fresh_sqlite_file_removed_after() -> None:
    with fresh_database(None) as url:
        assert url.startswith("sqlite+aiosqlite:///")
        folder = Path(url.removeprefix("sqlite+aiosqlite:///")).parent
        assert folder.is_dir()
    assert not folder.exists()


def test_more_than_one_worker_needs_postgresql() -> None:
    check_workers(None, 1)
    check_workers(PG_URL or "postgresql+asyncpg://x@h/db", 2)
    with pytest.raises(SystemExit, match="needs PostgreSQL"):
        check_workers(None, 2)


def test_only_a_postgresql_url_is_taken() -> None:
    with pytest.raises(SystemExit, match="PostgreSQL URL"), fresh_database("mysql://x@h/db"):
        pass


async def _databases(url: str) -> set[str]:
    import asyncpg

    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        return {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
    finally:
        await conn.close()


@pytest.mark.postgres
def test_a_postgresql_run_creates_its_own_database_and_drops_it_even_on_failure() -> None:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    name = None
    with pytest.raises(RuntimeError, match="the run failed"), fresh_database(PG_URL) as url:
        name = make_url(url).database
        assert make_url(url).drivername == "postgresql+asyncpg"
        assert name != make_url(PG_URL).database and name in asyncio.run(_databases(PG_URL))
        raise RuntimeError("the run failed")
    assert name is not None and name not in asyncio.run(_databases(PG_URL))

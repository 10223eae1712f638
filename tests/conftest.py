"""Shared test fixtures: fresh databases (SQLite files and, when configured, PostgreSQL),
an app client, and logged-in callers for each role."""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Cheap argon2 parameters for the many users tests create (see server/auth/passwords.py).
os.environ.setdefault("BODEGA_TEST_FAST_HASHING", "1")
# In-process test apps write from a thread; tests that start `bodega serve` turn the writer
# process back on (server/bench/harness.py).
os.environ.setdefault("BODEGA_WRITER_PROCESS", "0")
# ... and check that every write they make is one the writer process could run (server/db/engine.py).
os.environ.setdefault("BODEGA_CHECK_WRITES_PICKLE", "1")
# Counts beyond the variance threshold are applied at once (flagged), as the sync rules' reference
# model does; tests of holding them for a recount and approval turn it on (tests/inventory/
# test_count_review.py). `bodega serve` holds them unless the seller sets BODEGA_COUNT_REVIEW=0.
os.environ.setdefault("BODEGA_COUNT_REVIEW", "0")

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import Connection, make_url

import server.writes  # noqa: F401  (installs the reactions every Database's write transactions end with)
from server.db.migrate import upgrade
from server.models import metadata

PG_URL = os.environ.get("BODEGA_TEST_POSTGRES_URL", "")


@pytest.fixture(autouse=True)
def fresh_server_clock() -> None:
    """Each test's server starts with its own clock, as a started server does (server/clock.py)."""
    from server.clock import restart

    restart()


@pytest.fixture(autouse=True)
def python_gc_as_found() -> Iterator[None]:
    """A command run in process (`bodega channels import-orders`) settles the garbage collector for
    a long-running process (server/runtime.py); later tests in this worker must not inherit that:
    garbage a test leaves behind (a stopped server's dropped connections) would wait far longer."""
    threshold = gc.get_threshold()
    yield
    if gc.get_threshold() != threshold or gc.get_freeze_count():
        gc.unfreeze()
        gc.set_threshold(*threshold)


PG_SKIP_REASON = "PostgreSQL tests need BODEGA_TEST_POSTGRES_URL (CI sets it)"

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
# The hot paths (ingestion, sync pushes) also run through the SQLite writer process, as `bodega serve`
# runs them; every other test uses the in-process writer thread (BODEGA_WRITER_PROCESS=0 above).
WRITER_PROCESS = "sqlite, writer process"
HOT_BACKENDS = ["sqlite", WRITER_PROCESS, pytest.param("postgres", marks=pytest.mark.postgres)]


def _sync_url(url: str) -> str:
    return url.replace("+asyncpg", "+psycopg2").replace("+aiosqlite", "")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file; each test gets a copy, which is much faster than migrating."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL database created for this test run and dropped after it."""
    yield from postgres_database()


def postgres_database() -> Iterator[str]:
    """Create and migrate a PostgreSQL database, yield its URL, drop it (for session fixtures:
    a test that needs a second database, e.g. two worlds side by side, makes another one)."""
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    base = make_url(PG_URL)
    name = f"bodega_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_sync_url(PG_URL), isolation_level="AUTOCOMMIT")
    # A configured but unreachable PostgreSQL must fail the run, not skip it.
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_postgres(url: str) -> None:
    """Empty every table and restart every sequence. TRUNCATE costs a few milliseconds a table even
    when it is empty, and most tests fill a handful of the ~80: one query finds those first."""
    engine = create_engine(_sync_url(url))
    with engine.begin() as conn:
        full = ", ".join(f'"{name}"' for name in conn.scalars(text(TABLES_HOLDING_ROWS)))
        if full:
            conn.execute(text(f"TRUNCATE {full} CASCADE"))
        conn.execute(text(RESTART_SEQUENCES))
    engine.dispose()


TABLES_HOLDING_ROWS = " UNION ALL ".join(
    f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in metadata.sorted_tables
)
RESTART_SEQUENCES = (
    "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false) "
    "FROM pg_sequences WHERE schemaname = current_schema()"
)


def fresh_database(request: pytest.FixtureRequest, tmp_path: Path, backend: str) -> str:
    """A freshly migrated, empty database on this backend."""
    if backend.startswith("sqlite"):
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "bodega.db"
        shutil.copy(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url: str = request.getfixturevalue("postgres_server_url")
    _truncate_postgres(url)
    return url


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A freshly migrated, empty database on each backend."""
    return fresh_database(request, tmp_path, request.param)


@pytest.fixture
def writer_process() -> bool:
    """Whether the app under test runs its hot writes in the SQLite writer process (see HOT_BACKENDS)."""
    return False


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh migrated SQLite database, for tests that only concern SQLite."""
    path = tmp_path / "bodega.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


def run(coro: Any) -> Any:
    """Run a coroutine from a synchronous test."""
    return asyncio.run(coro)


def add_users(conn: Connection, users: list[tuple[str, str, str, str | None]]) -> list[str]:
    """Users (username, password, role, warehouse code), each with a device; their tokens."""
    from server.auth.passwords import hash_password
    from server.auth.services import add_device, add_user
    from server.db.orm import orm_session
    from server.inventory.models import Warehouse

    tokens: list[str] = []
    with orm_session(conn) as session:
        for username, password, role, warehouse in users:
            warehouse_id = (
                session.scalar(select(Warehouse.id).where(Warehouse.code == warehouse)) if warehouse else None
            )
            user = add_user(
                session,
                username=username,
                password_hash=hash_password(password),
                role=role,
                warehouse_id=warehouse_id,
            )
            tokens.append(add_device(session, user.id, f"{role} test phone")[1])
    return tokens


async def _seed_role_users(url: str) -> dict[str, str]:
    from server.db import Database

    db = Database(url)
    roles = ["admin", "supervisor", "warehouse", "rider"]
    try:
        tokens = await db.run_write(add_users, [(f"test-{r}", f"{r}-password", r, None) for r in roles])
    finally:
        await db.dispose()
    return dict(zip(roles, tokens, strict=True))


@pytest.fixture
def tokens(database_url: str) -> dict[str, str]:
    """A bearer token per role (users test-admin, test-supervisor, ... with password '<role>-password')."""
    return run(_seed_role_users(database_url))


@pytest.fixture
def client(database_url: str, writer_process: bool) -> Iterator[Any]:
    from litestar.testing import TestClient

    from server.app import create_app
    from server.settings import load_settings

    settings = load_settings(database_url=database_url, secret_key="test-secret", log_level="WARNING")
    app = create_app(dataclasses.replace(settings, writer_process=writer_process))
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(client: Any, tokens: dict[str, str]) -> Any:
    """The test client with the admin's token set on every request."""
    client.headers.update(auth(tokens["admin"]))
    return client


def hot_path_fixtures() -> tuple[Any, Any]:
    """`database_url` and `writer_process` for a hot-path module: on SQLite its tests run twice,
    once through the writer process. In the module: `database_url, writer_process = hot_path_fixtures()`."""

    @pytest.fixture(params=HOT_BACKENDS, name="database_url")
    def hot_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
        return fresh_database(request, tmp_path, request.param)

    @pytest.fixture(name="writer_process")
    def hot_writer_process(request: pytest.FixtureRequest) -> bool:
        return bool(request.node.callspec.params.get("database_url") == WRITER_PROCESS)

    return hot_database_url, hot_writer_process

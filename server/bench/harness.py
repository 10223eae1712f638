"""Shared pieces for benchmarks: a fresh database, a real server process, wrk runs."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Generator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent  # the wrk scripts (*.lua) are package data beside this file
ROOT = HERE.parent.parent  # the source checkout, when running from one (site-packages in a wheel)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_server_ready(url: str, process: subprocess.Popen[Any], *, seconds: float = 120) -> None:
    """Wait until a just-started `bodega serve` answers /ready; fail if it exits or takes too long.

    The deadline is generous on purpose: a server that is still starting is not a failure. Two
    PostgreSQL workers starting on a 2-core machine under a load of 16 took over 30 s (seen in
    the test suite); a server that dies is caught at once by `poll()`.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            state = "exited" if process.poll() is not None else f"still starting after {seconds:.0f} s"
            raise RuntimeError(f"the server at {url} did not become ready ({state})")
        time.sleep(0.1)


@dataclass
class Server:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]


@contextmanager
def fresh_sqlite() -> Generator[str]:
    folder = Path(tempfile.mkdtemp(prefix="bodega-bench-"))
    try:
        yield f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def fresh_database(server_url: str | None) -> Generator[str]:
    """An empty database for one bench run: a new SQLite file by default; given a PostgreSQL URL
    (postgresql+asyncpg://user@host/db), a database of its own created on that server and dropped
    after the run, whatever happens. The URL's database is only used to connect for that."""
    if server_url is None:
        with fresh_sqlite() as url:
            yield url
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(server_url)
    if base.get_backend_name() != "postgresql":
        raise SystemExit(f"--database-url must be a PostgreSQL URL (postgresql+asyncpg://...), not {base}")
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"bodega_bench_{uuid.uuid4().hex[:12]}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def check_workers(database_url: str | None, workers: int) -> None:
    if workers > 1 and database_url is None:
        raise SystemExit("--workers above 1 needs PostgreSQL (--database-url): SQLite has one writer")


@dataclass
class StockCheck:
    oversold: int  # units reserved beyond what is on hand, summed over balances: must be 0
    verify_ok: bool  # `bodega verify`: every balance matches its ledger
    statuses: dict[str, int]  # orders by status


async def _check_stock(url: str) -> StockCheck:
    from sqlalchemy import func, select

    from server.db import Database
    from server.inventory.models import StockBalance
    from server.orders.models import Order
    from server.verify import verify

    db = Database(url)
    try:
        async with db.reader.connect() as conn:
            over = (
                await conn.execute(
                    select(func.coalesce(func.sum(StockBalance.reserved - StockBalance.on_hand), 0)).where(
                        StockBalance.reserved > StockBalance.on_hand
                    )
                )
            ).scalar_one()
            report = await conn.run_sync(verify)
            statuses = dict(
                (await conn.execute(select(Order.status, func.count()).group_by(Order.status))).all()
            )
        for line in [*map(str, report.drift), *report.orphan_reservations, *report.sync][:10]:
            print("DRIFT", line)
        return StockCheck(int(over), report.ok, {str(k): int(v) for k, v in statuses.items()})
    finally:
        await db.dispose()


def check_stock(url: str) -> StockCheck:
    """After a run: nothing oversold, and the ledger verification passes."""
    return asyncio.run(_check_stock(url))


def backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@contextmanager
def running_server(
    database_url: str, *, workers: int = 1, env: dict[str, str] | None = None
) -> Generator[Server]:
    port = free_port()
    environment = os.environ | {
        "BODEGA_DATABASE_URL": database_url,
        "BODEGA_PORT": str(port),
        "BODEGA_SECRET_KEY": "bench",
        "BODEGA_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--workers", str(workers)], cwd=ROOT, env=environment
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_server_ready(url, process)
        yield Server(url, database_url, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def wrk(
    url: str,
    script: Path,
    *,
    duration: int,
    connections: int,
    threads: int = 2,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run wrk and return the figures the script's done() printed."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        env=os.environ | (env or {}),
        check=True,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("BENCH_JSON "))
    figures: dict[str, Any] = json.loads(line.removeprefix("BENCH_JSON "))
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    return figures


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r)) for r in rows)

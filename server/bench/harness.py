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


def wait_server_ready(url: str, process: subprocess.Popen[Any], *, seconds: float = 30) -> None:
    """Wait until a just-started `bodega serve` answers /ready; fail if it exits or takes too long."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server at {url} did not become ready")
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

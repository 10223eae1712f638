"""The server process (and its writer process) is killed with SIGKILL again and again while phones
push bursts of ops. Every op the server acknowledged is in the journal when it comes back; at the
end every op any phone recorded is journalled exactly once and applied exactly once (the ledger
equals the model of the ops), and `bodega verify` finds no drift.

A real `bodega serve` on a SQLite file, so the kill is a real crash. Bounded by default
(BODEGA_SOAK=1: many more kills).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Generator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from server.bench.harness import ROOT, free_port, wait_server_ready
from server.db.migrate import upgrade
from server.sync_api.models import SyncOp
from sync import Client, Op
from sync.http import HttpTransport
from sync.simulator import Stop, Work, mixed_ops
from tests.kit.sync import (
    bins_by_code,
    cash_by_holder,
    connect,
    delivered_waybills,
    journal,
    ledger_ok,
    seed,
)
from tests.sync.sync_testkit import model_ledger

SOAK = os.environ.get("BODEGA_SOAK") == "1"
KILLS = 25 if SOAK else 3
# Each server life ends after the phones had this many more ops acknowledged (a random number in
# the range, so the kill lands at a different point of a burst each time), however long that takes
# on a loaded machine; at least 100 over the whole test, or it would prove nothing.
ACKS_PER_LIFE = (40, 200)
WAIT_S = 300  # a generous bound: a phone that never gets an op acknowledged fails, late
PHONES = {"wh1": "warehouse", "wh2": "warehouse", "rider1": "rider", "rider2": "rider"}


@contextmanager
def serve(url: str) -> Generator[tuple[str, subprocess.Popen[bytes]]]:
    """`bodega serve` in its own process group, so a kill takes its writer process with it."""
    port = free_port()
    env = os.environ | {
        "BODEGA_DATABASE_URL": url,
        "BODEGA_PORT": str(port),
        "BODEGA_SECRET_KEY": "crash",
        "BODEGA_LOG_LEVEL": "ERROR",
        "BODEGA_WRITER_PROCESS": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    wait_server_ready(base, process, seconds=WAIT_S)
    try:
        yield base, process
    finally:
        kill(process)


def kill(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)


class Phone:
    """A phone in a thread: records a burst of facts, syncs, repeats; a dead server is just no signal."""

    def __init__(self, name: str, device_id: str, token: str, work: Work, seed: int) -> None:
        self.name = name
        self.token = token
        self.work = work
        self.rng = random.Random(seed)
        self.http = httpx.Client(timeout=5)
        self.client = Client(device_id, HttpTransport(self.http, token), batch_size=50, retain=1_000_000)
        self.recorded: list[Op] = []
        self.stop = threading.Event()
        self.acknowledged_count = 0  # written by the phone's thread after each sync, read by the test

    def point_at(self, base: str) -> None:
        self.http.close()
        self.http = httpx.Client(base_url=base, timeout=5)
        self.client.transport = HttpTransport(self.http, self.token)

    def acknowledged(self) -> set[uuid.UUID]:
        return {op.id for op in self.client.box.retained.values()}

    def run(self) -> None:
        while not self.stop.is_set():
            # Each does its own role's work (sync.AUTHORITY): warehouse staff scan, riders deliver.
            scans = 0.0 if self.work.stops else 1.0
            for payload in mixed_ops(self.rng, self.work, self.rng.randint(5, 60), scans=scans):
                self.recorded.append(self.client.record(payload))
            self.client.sync(max_rounds=20)
            self.acknowledged_count = len(self.client.box.retained)
            time.sleep(self.rng.uniform(0, 0.05))


def wait_for_acknowledgements(phones: list[Phone], threads: list[threading.Thread], target: int) -> None:
    """Until the phones together hold `target` acknowledged ops: the work, not a time, ends a life."""
    deadline = time.monotonic() + WAIT_S
    while (acked := sum(phone.acknowledged_count for phone in phones)) < target:
        assert all(t.is_alive() for t in threads), "a phone's thread died"
        assert time.monotonic() < deadline, f"only {acked} of {target} ops acknowledged in {WAIT_S} s"
        time.sleep(0.05)


def test_sigkill_during_push_bursts_loses_nothing_acknowledged_and_doubles_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    upgrade(url)
    world = seed(url, phones=PHONES, orders=40, bins=6, skus=4)
    stops = [Stop(world.order(name), f"WB-{name}", world.cod[name]) for name in world.orders]
    rng = random.Random(7)
    phones = []
    for n, (name, role) in enumerate(PHONES.items()):
        work = Work("W", world.bins, world.skus, stops[n * 10 : (n + 1) * 10] if role == "rider" else [])
        info = world.phones[name]
        phones.append(Phone(name, info.device_id, info.token, work, seed=n))
    acknowledged: set[uuid.UUID] = set()
    for _ in range(KILLS):
        with serve(url) as (base, process):
            with connect(url) as conn:  # what the server acknowledged before the last crash is all there
                assert acknowledged <= set(conn.execute(select(SyncOp.op_id)).scalars())
            for phone in phones:
                phone.point_at(base)
                phone.stop.clear()
            threads = [threading.Thread(target=phone.run) for phone in phones]
            for t in threads:
                t.start()
            before = sum(phone.acknowledged_count for phone in phones)
            wait_for_acknowledgements(phones, threads, before + rng.randint(*ACKS_PER_LIFE))
            kill(process)  # mid-burst: requests in flight, a transaction perhaps half written
            for phone in phones:
                phone.stop.set()
            for t in threads:
                t.join(WAIT_S)
                assert not t.is_alive(), "a phone did not stop"
            for phone in phones:
                acknowledged |= phone.acknowledged()
    with serve(url) as (base, _):
        for phone in phones:
            phone.point_at(base)
            deadline = time.monotonic() + WAIT_S
            # A request slower than the phone's 5 s timeout on a loaded machine is a failed round,
            # as on a real phone: sync again until everything is confirmed.
            while not (report := phone.client.sync(max_rounds=500)).done:
                assert time.monotonic() < deadline, (phone.name, report)
            assert phone.client.outbox == [], (phone.name, report)
    recorded = [op for phone in phones for op in phone.recorded]
    assert len(acknowledged) > 100, "the test did not push enough to prove anything"
    print(
        f"crash test: {KILLS} kills, {len(recorded)} ops recorded, "
        f"{len(acknowledged)} acknowledged before a kill"
    )
    users = {world.phones[name].device_id: name for name in PHONES}
    with connect(url) as conn:
        journalled = journal(conn)
        assert set(journalled) == {op.id for op in recorded} and len(journalled) == len(recorded)
        model = model_ledger(recorded, actor=lambda dev: users[dev])
        assert bins_by_code(conn) == model.bins
        assert cash_by_holder(conn) == model.cash
        assert delivered_waybills(conn) == model.delivered
        assert ledger_ok(conn) == []


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx would route 127.0.0.1 through a configured proxy otherwise.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")

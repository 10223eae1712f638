"""Phones working offline against the REAL server (HTTP in process, SQLite and PostgreSQL), through
a network that drops, duplicates, delays and reorders requests, with partitions, server restarts
and (SQLite) a restore from backup that starts a new epoch.

After everything is delivered: every op any phone recorded is journalled exactly once and applied
exactly once; the ledger equals an independent model of the ops (tests/sync/sync_testkit.py); every
phone's replica equals the server's view of its scopes, checksums included; `bodega verify` finds
no drift and the change log's bins equal the ledger's.

Bounded by default; BODEGA_SOAK=1 runs many more, longer examples.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    precondition,
    rule,
    run_state_machine_as_test,
)
from litestar.testing import TestClient
from sqlalchemy import text

from server.app import create_app
from server.changes.log import start_new_epoch
from server.db.base import utcnow
from server.settings import load_settings
from server.sync_api.blobs import chase_missing_proofs
from server.sync_api.projector import refresh
from server.sync_api.verify import log_matches_bins
from sync import (
    CashCollected,
    Client,
    DeliveryAttempted,
    Op,
    ParcelHandedOver,
    ParcelLine,
    ProofAttached,
    RemittanceHandedIn,
    ReturnReceived,
    StockCounted,
    StockPicked,
    StockPutAway,
    StockReceived,
    StockShortPicked,
    SyncRequest,
    SyncResponse,
)
from sync.http import HttpTransport
from tests.conftest import _truncate_postgres
from tests.kit.faults import FAULT_PROFILES, Faults, Network
from tests.kit.handles import open_handles
from tests.kit.sync import (
    SyncWorld,
    bins_by_code,
    cash_by_holder,
    delivered_waybills,
    engine_for,
    journal,
    ledger_ok,
    seed,
    server_scope,
)
from tests.sync.sync_testkit import model_ledger

SOAK = os.environ.get("BODEGA_SOAK") == "1"
PHONES = {"wh1": "warehouse", "wh2": "warehouse", "rider1": "rider", "rider2": "rider", "sup": "supervisor"}
SCOPES = {
    "wh1": ["catalog", "wh:W"],
    "wh2": ["catalog", "wh:W"],
    "rider1": ["cash:rider1", "runs:rider1"],
    "rider2": ["cash:rider2", "runs:rider2"],
    "sup": ["cash:sup", "exceptions"],
}
ORDERS = [f"O{n}" for n in range(1, 6)]
BINS, SKUS = ["B1", "B2", "B3"], ["S1", "S2"]


@dataclass
class Net(Network):
    """The fault network (tests/kit/faults.py) in front of the real server, over HTTP."""

    world: SyncWorld | None = None
    http: Any = None

    def _phone(self, name: str) -> HttpTransport:
        assert self.world is not None
        return HttpTransport(self.http, self.world.phones[name].token, fmt=self._format())

    def _format(self) -> Any:
        return "msgpack" if self.rng.random() < 0.5 else "json"

    def deliver(self, device: str, request: SyncRequest) -> SyncResponse:
        return self._phone(device).sync(request)

    def store_blob(self, device: str, blob_id: str, data: bytes) -> None:
        self._phone(device).put_blob(blob_id, data)


qty = st.integers(1, 6)
bins, skus, orders = st.sampled_from(BINS), st.sampled_from(SKUS), st.sampled_from(ORDERS)

Work = tuple[str, dict[str, Any]]  # (op kind, arguments with order *names*)


def _work(kind: str, **arguments: Any) -> Work:
    return kind, arguments


warehouse_work: st.SearchStrategy[Work] = st.one_of(
    st.builds(lambda b, s, n: _work("received", bin=b, sku=s, qty=n), bins, skus, qty),
    st.builds(
        lambda s, n, p: _work("put_away", sku=s, qty=n, from_bin=p[0], to_bin=p[1]),
        skus,
        qty,
        st.permutations(BINS),
    ),
    st.builds(
        lambda b, s, n, o, short: _work("pick", bin=b, sku=s, qty=n, order=o, short=short),
        bins,
        skus,
        qty,
        orders,
        st.booleans(),
    ),
    st.builds(lambda b, s, c: _work("count", bin=b, sku=s, counted=c), bins, skus, st.integers(0, 12)),
    st.builds(lambda o, s, n: _work("hand_over", order=o, sku=s, qty=n), orders, skus, qty),
    st.builds(lambda b, s, o: _work("return", bin=b, sku=s, order=o), bins, skus, orders),
)
rider_work: st.SearchStrategy[Work] = st.one_of(
    st.builds(lambda o, ok: _work("attempt", order=o, delivered=ok), orders, st.booleans()),
    st.builds(lambda o, a: _work("cash", order=o, amount=a), orders, st.integers(0, 50_000)),
    st.builds(lambda a: _work("remit", amount=a), st.integers(1, 60_000)),
    st.builds(lambda o, d: _work("proof", order=o, data=d), orders, st.binary(min_size=1, max_size=64)),
)


class ServerMachine(RuleBasedStateMachine):
    url: str = ""
    template: Path | None = None  # SQLite: a migrated file to copy; None: PostgreSQL (truncate)
    folder: Path | None = None

    def __init__(self) -> None:
        super().__init__()
        if self.template is not None:
            assert self.folder is not None
            path = self.folder / f"{uuid.uuid4().hex}.db"
            shutil.copy(self.template, path)
            self.url = f"sqlite+aiosqlite:///{path}"
            self.path: Path | None = path
        else:
            _truncate_postgres(self.url)
            self.path = None
        self.world = seed(self.url, phones=PHONES, orders=len(ORDERS), status="packed")
        self.net = Net(world=self.world)
        self.http: Any = None
        self.start_server()
        self.phones = {
            name: Client(
                self.world.phones[name].device_id,
                self.net.transport(name),
                batch_size=5,
                page_size=4,
                retain=1_000_000,  # a restore must never lose a fact here
            )
            for name in PHONES
        }
        self.recorded: list[Op] = []
        self.blobs: set[str] = set()
        self.backups: list[Path] = []
        self.restored = False

    # -- the server process ----------------------------------------------------------------------

    def start_server(self) -> None:
        settings = load_settings(database_url=self.url, secret_key="test", log_level="WARNING")
        self.http = TestClient(create_app(settings), raise_server_exceptions=False)
        self.http.__enter__()
        self.net.http = self.http

    def stop_server(self) -> None:
        self.http.__exit__(None, None, None)
        if self.path is not None:
            # Checked before a restore swaps the file, where a connection left open corrupts it.
            assert not open_handles(self.path), "the stopped server still holds its database open"
            assert not multiprocessing.active_children(), "the writer process outlived the server"

    def teardown(self) -> None:
        try:
            self.deliver_everything_and_check()
        finally:
            self.stop_server()
            if self.path is not None:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.path}{suffix}").unlink(missing_ok=True)
                for backup in self.backups:
                    backup.unlink(missing_ok=True)

    # -- work done offline ---------------------------------------------------------------------------

    def _record(self, name: str, payload: msgspec.Struct) -> None:
        self.recorded.append(self.phones[name].record(payload))

    @initialize(seed=st.integers(0, 2**32 - 1))
    def seed_network(self, seed: int) -> None:
        self.net.rng.seed(seed)

    @rule(name=st.sampled_from(["wh1", "wh2"]), works=st.lists(warehouse_work, min_size=1, max_size=6))
    def warehouse_does(self, name: str, works: list[Work]) -> None:
        for work in works:
            self._warehouse_does(name, work)

    def _warehouse_does(self, name: str, work: Work) -> None:
        kind, a = work
        order = self.world.order(a["order"]) if "order" in a else ""
        payload: msgspec.Struct
        if kind == "received":
            payload = StockReceived(wh="W", bin=a["bin"], sku=a["sku"], qty=a["qty"])
        elif kind == "put_away":
            payload = StockPutAway(
                wh="W", sku=a["sku"], qty=a["qty"], from_bin=a["from_bin"], to_bin=a["to_bin"]
            )
        elif kind == "pick" and a["short"]:
            payload = StockShortPicked(
                wh="W",
                bin=a["bin"],
                sku=a["sku"],
                order=order,
                wanted=a["qty"] + 1,
                found=a["qty"] - 1,
                reason="not_enough",
            )
        elif kind == "pick":
            payload = StockPicked(wh="W", bin=a["bin"], sku=a["sku"], qty=a["qty"], order=order)
        elif kind == "count":
            payload = StockCounted(
                wh="W", bin=a["bin"], sku=a["sku"], counted=a["counted"], empty=a["counted"] == 0
            )
        elif kind == "hand_over":
            payload = ParcelHandedOver(
                wh="W",
                order=order,
                waybill=f"WB-{a['order']}",
                to="rider1",
                lines=[ParcelLine(a["sku"], a["qty"])],
            )
        else:
            payload = ReturnReceived(wh="W", bin=a["bin"], sku=a["sku"], qty=1, order=order)
        self._record(name, payload)

    @rule(name=st.sampled_from(["rider1", "rider2"]), works=st.lists(rider_work, min_size=1, max_size=6))
    def rider_does(self, name: str, works: list[Work]) -> None:
        for work in works:
            self._rider_does(name, work)

    def _rider_does(self, name: str, work: Work) -> None:
        kind, a = work
        order = self.world.order(a["order"]) if "order" in a else ""
        waybill = f"WB-{a.get('order', '')}"
        if kind == "attempt" and a["delivered"]:
            self._record(name, DeliveryAttempted(order=order, waybill=waybill, outcome="delivered"))
        elif kind == "attempt":
            self._record(
                name, DeliveryAttempted(order=order, waybill=waybill, outcome="failed", reason="not_home")
            )
        elif kind == "cash":
            self._record(name, CashCollected(order=order, amount=a["amount"]))
        elif kind == "remit":
            self._record(name, RemittanceHandedIn(amount=a["amount"], to="cashier"))
        else:
            blob = self.phones[name].attach_blob(a["data"])
            self.blobs.add(blob)
            self._record(name, ProofAttached(order=order, blob=blob, kind="photo", waybill=waybill))

    # -- the network and the server ------------------------------------------------------------------

    @rule(name=st.sampled_from(sorted(PHONES)), faults=st.sampled_from(FAULT_PROFILES))
    def sync(self, name: str, faults: Faults) -> None:
        self.net.faults = faults
        self.phones[name].sync(max_rounds=4)

    @rule(faults=st.sampled_from(FAULT_PROFILES))
    def everyone_syncs(self, faults: Faults) -> None:
        self.net.faults = faults
        for phone in self.phones.values():
            phone.sync(max_rounds=4)

    @rule(n=st.integers(1, 3))
    def late_requests_arrive(self, n: int) -> None:
        self.net.replay_delayed(n)

    @rule(name=st.sampled_from(sorted(PHONES)))
    def lose_signal(self, name: str) -> None:
        self.net.partitioned.add(name)

    @rule(name=st.sampled_from(sorted(PHONES)))
    def regain_signal(self, name: str) -> None:
        self.net.partitioned.discard(name)

    @rule(order=orders)
    def buyer_cancels(self, order: str) -> None:
        # The marketplace cancels it: a write outside sync, picked up by the projector.
        engine = engine_for(self.url)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE orders SET status = 'cancelled' WHERE id = :id AND status = 'packed'"),
                {"id": self.world.orders[order].hex if self.path else self.world.orders[order]},
            )
        engine.dispose()

    @rule()
    def server_restarts(self) -> None:
        self.stop_server()
        self.start_server()

    @precondition(lambda self: self.path is not None)
    @rule()
    def back_up(self) -> None:
        assert self.path is not None
        target = self.path.with_suffix(f".backup{len(self.backups)}")
        source = sqlite3.connect(self.path)
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)
        source.close()
        copy.close()
        self.backups.append(target)

    @precondition(lambda self: self.path is not None and bool(self.backups))
    @rule(which=st.integers(0, 10))
    def restore_from_backup(self, which: int) -> None:
        """The operator restores last night's backup: a new history, so a new epoch."""
        assert self.path is not None
        self.stop_server()
        for suffix in ("-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.backups[which % len(self.backups)], self.path)
        self.restored = True
        engine = engine_for(self.url)
        with engine.begin() as conn:
            start_new_epoch(conn)
        engine.dispose()
        self.start_server()

    # -- the end: deliver everything, then check -------------------------------------------------------

    def deliver_everything_and_check(self) -> None:
        self.net.faults = Faults()
        self.net.partitioned.clear()
        self.net.replay_delayed()
        engine = engine_for(self.url)
        try:
            with engine.begin() as conn:
                refresh(conn)  # what the projector loop does every few seconds
            for _ in range(20):
                quiet = True
                for name, phone in self.phones.items():
                    report = phone.sync(max_rounds=200)
                    assert report.done, (name, report)
                    quiet = quiet and report.pushed == 0 and report.changes == 0 and report.resets == 0
                if quiet:
                    break
            else:
                raise AssertionError("the phones never converged")
            with engine.connect() as conn:
                self.check(conn)
        finally:
            engine.dispose()

    def check(self, conn: Any) -> None:
        STATS["ops"] += len(self.recorded)
        STATS["examples"] += 1
        users = {p.device_id: p.username for p in self.world.phones.values()}
        # Exactly once: every fact recorded, journalled once, judged (never dropped).
        journalled = journal(conn)
        assert set(journalled) == {op.id for op in self.recorded}
        assert all(status in ("applied", "flagged") for _, status in journalled.values())
        # The ledger is what the ops say, in whatever order and however often they arrived.
        model = model_ledger(self.recorded, actor=lambda dev: users[dev])
        assert bins_by_code(conn) == model.bins
        assert cash_by_holder(conn) == model.cash
        assert delivered_waybills(conn) == model.delivered
        assert ledger_ok(conn) == [] and log_matches_bins(conn) == []
        kinds = set(conn.execute(text("SELECT kind FROM exceptions")).scalars())
        assert not kinds & {"ops_lost", "poison_op"}
        # Proof photos reached the server, and every phone holds exactly the server's view.
        stored = set(conn.execute(text("SELECT sha256 FROM sync_blobs")).scalars())
        missing = self.blobs - stored
        # Only a restore can lose an upload the phone saw succeed; the server then tells a person.
        assert not missing or self.restored
        for name, phone in self.phones.items():
            assert phone.outbox == [] and phone.dead == [] and phone.drift_resets == 0
            for scope in SCOPES[name]:
                assert phone.replica.get(scope, {}) == server_scope(conn, scope), (name, scope)
                assert phone.scope_checksum(scope) == _checksum(conn, scope)
        # A day later, every proof whose blob was lost is an exception for a person.
        chase_missing_proofs(conn, now=utcnow() + timedelta(days=2))
        chased = conn.execute(text("SELECT details FROM exceptions WHERE kind = 'proof_missing'")).scalars()
        assert {
            msgspec.json.decode(d)["blob"] if isinstance(d, str) else d["blob"] for d in chased
        } == missing


def _checksum(conn: Any, scope: str) -> str:
    from server.changes.log import checksum_hex, read_sums

    return checksum_hex(read_sums(conn, [scope]).get(scope, 0))


STATS = {"ops": 0, "examples": 0}

SETTINGS = settings(
    max_examples=150 if SOAK else 5,
    stateful_step_count=100 if SOAK else 40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def machine_folder(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


def test_phones_and_the_real_server_converge(
    database_url: str, sqlite_template: Path, machine_folder: Path
) -> None:
    class Machine(ServerMachine):
        pass

    if database_url.startswith("sqlite"):
        Machine.template, Machine.folder = sqlite_template, machine_folder
    else:
        Machine.url = database_url
    run_state_machine_as_test(Machine, settings=SETTINGS)
    assert STATS["ops"] > 0, STATS  # the phones did record work, and it was all checked
    print("stateful:", STATS)


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
def test_a_long_day_on_a_bad_network(database_url: str, sqlite_template: Path, tmp_path: Path) -> None:
    """The same machine driven by a seeded random walk: many more ops per run than Hypothesis's
    small examples, every fault and (SQLite) restarts and restores along the way."""

    class Machine(ServerMachine):
        pass

    if database_url.startswith("sqlite"):
        Machine.template, Machine.folder = sqlite_template, tmp_path
    else:
        Machine.url = database_url
    rng = random.Random(20261111)
    machine = Machine()
    machine.seed_network(rng.randrange(2**32))
    steps = 600 if SOAK else 150
    try:
        for _ in range(steps):
            roll = rng.random()
            if roll < 0.30:
                works = [warehouse_work.example() for _ in range(rng.randint(1, 6))]
                machine.warehouse_does(rng.choice(["wh1", "wh2"]), works)
            elif roll < 0.55:
                works = [rider_work.example() for _ in range(rng.randint(1, 6))]
                machine.rider_does(rng.choice(["rider1", "rider2"]), works)
            elif roll < 0.75:
                machine.sync(rng.choice(sorted(PHONES)), rng.choice(FAULT_PROFILES))
            elif roll < 0.80:
                machine.everyone_syncs(rng.choice(FAULT_PROFILES))
            elif roll < 0.85:
                machine.late_requests_arrive(rng.randint(1, 3))
            elif roll < 0.89:
                (machine.lose_signal if rng.random() < 0.5 else machine.regain_signal)(
                    rng.choice(sorted(PHONES))
                )
            elif roll < 0.92:
                machine.buyer_cancels(rng.choice(ORDERS))
            elif roll < 0.95:
                machine.server_restarts()
            elif machine.path is not None and roll < 0.975:
                machine.back_up()
            elif machine.path is not None and machine.backups:
                machine.restore_from_backup(rng.randrange(10))
    finally:
        machine.teardown()
    assert len(machine.recorded) > 100

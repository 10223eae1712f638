"""Several phones working offline against the reference server, through a network that drops,
duplicates, delays and reorders, with partitions and a restore from backup (a new epoch).

After everything is finally delivered: every op was applied exactly once, the ledger equals an
independent model of the ops, and every phone's replica equals the server's view of its scopes.

Bounded by default (50 examples); BODEGA_SOAK=1 runs many more, longer ones.
"""

from __future__ import annotations

import os
import random
from itertools import count

import msgspec
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule
from sync_testkit import Net, SimClock, ids, model_ledger

from sync import (
    HLC,
    CashCollected,
    Client,
    DeliveryAttempted,
    Op,
    ParcelHandedOver,
    ParcelLine,
    ReferenceServer,
    RemittanceHandedIn,
    ReturnReceived,
    StockCounted,
    StockPicked,
    StockPutAway,
    StockReceived,
    StockShortPicked,
)
from tests.kit.faults import FAULT_PROFILES, Faults

SOAK = os.environ.get("BODEGA_SOAK") == "1"

WAREHOUSE = ["wh1", "wh2"]
RIDERS = ["rider1", "rider2"]
SUPERVISOR = "sup"
SCOPES = {
    "wh1": ["wh:W", "orders"],
    "wh2": ["wh:W", "orders"],
    "rider1": ["cash:rider1", "orders"],
    "rider2": ["cash:rider2", "orders"],
    "sup": ["exceptions", "orders", "cash:cashier"],
}
SKEW = {"wh1": 0, "wh2": -45_000, "rider1": 30_000, "rider2": -5_000, "sup": 0}  # phone clocks are wrong
ORDERS = [f"O{i}" for i in range(1, 6)]
BINS = ["B1", "B2", "B3"]
SKUS = ["S1", "S2"]

qty = st.integers(1, 6)
bins, skus, orders = st.sampled_from(BINS), st.sampled_from(SKUS), st.sampled_from(ORDERS)


def _put_away(sku: str, n: int, pair: list[str]) -> StockPutAway:
    return StockPutAway(wh="W", sku=sku, qty=n, from_bin=pair[0], to_bin=pair[1])


def _pick(bin: str, sku: str, n: int, order: str, short: bool) -> StockPicked | StockShortPicked:
    if short:
        return StockShortPicked(
            wh="W", bin=bin, sku=sku, order=order, wanted=n + 1, found=n - 1, reason="not_enough"
        )
    return StockPicked(wh="W", bin=bin, sku=sku, qty=n, order=order)


def _hand_over(order: str, sku: str, n: int) -> ParcelHandedOver:
    return ParcelHandedOver(
        wh="W", order=order, waybill=f"WB-{order}", to="rider1", lines=[ParcelLine(sku, n)]
    )


def _attempt(order: str, delivered: bool) -> DeliveryAttempted:
    if delivered:
        return DeliveryAttempted(order=order, waybill=f"WB-{order}", outcome="delivered")
    return DeliveryAttempted(order=order, waybill=f"WB-{order}", outcome="failed", reason="not_home")


W = st.just("W")


def _count(bin: str, sku: str, counted: int) -> StockCounted:
    return StockCounted(wh="W", bin=bin, sku=sku, counted=counted, empty=counted == 0)


warehouse_work: st.SearchStrategy[msgspec.Struct] = st.one_of(
    st.builds(StockReceived, wh=W, bin=bins, sku=skus, qty=qty),
    st.builds(_put_away, skus, qty, st.permutations(BINS)),
    st.builds(_pick, bins, skus, qty, orders, st.booleans()),
    # A count of 0 is a count only with the empty mark (an unmarked 0 is flagged, not applied).
    st.builds(_count, bins, skus, st.integers(0, 12)),
    st.builds(_hand_over, orders, skus, qty),
    st.builds(ReturnReceived, wh=W, bin=bins, sku=skus, qty=st.just(1), order=orders),
)
rider_work: st.SearchStrategy[msgspec.Struct] = st.one_of(
    st.builds(_attempt, orders, st.booleans()),
    st.builds(CashCollected, order=orders, amount=st.integers(0, 50_000)),
    st.builds(RemittanceHandedIn, amount=st.integers(1, 60_000), to=st.just("cashier")),
)


class PhonesAndServer(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = SimClock()
        epochs = count(1)
        self.server = ReferenceServer(
            scopes=SCOPES,
            orders={o: ("shipped", 10_000 * n) for n, o in enumerate(ORDERS, start=1)},
            clock=HLC(self.clock.reader(), max_forward_ms=300_000),
            new_epoch=lambda: f"ep{next(epochs)}",
        )
        self.net = Net(server=self.server, rng=random.Random(0))
        self.phones = {
            name: Client(
                name,
                self.net.transport(name),
                clock=HLC(self.clock.reader(SKEW[name])),
                new_id=ids(n),
                now_ms=self.clock.reader(SKEW[name]),
                batch_size=5,
                page_size=4,
                retain=1_000_000,  # a restore must never lose a fact here
            )
            for n, name in enumerate(SCOPES, start=1)
        }
        self.recorded: list[Op] = []
        self.backups: list[object] = [self.server.snapshot()]  # restoring this loses everything

    def _record(self, device: str, payload: msgspec.Struct) -> None:
        self.recorded.append(self.phones[device].record(payload))
        self.clock.advance(1_000)

    @initialize(seed=st.integers(0, 2**32 - 1))
    def seed_network(self, seed: int) -> None:
        self.net.rng.seed(seed)

    # -- work done offline --------------------------------------------------------------------------
    # One rule per role, drawing what was done: keeps the network and server rules frequent enough
    # that restores regularly lose ops the phones had already seen confirmed.

    @rule(dev=st.sampled_from(WAREHOUSE), payload=warehouse_work)
    def warehouse_does(self, dev: str, payload: msgspec.Struct) -> None:
        self._record(dev, payload)

    @rule(dev=st.sampled_from(RIDERS), payload=rider_work)
    def rider_does(self, dev: str, payload: msgspec.Struct) -> None:
        self._record(dev, payload)

    # -- the network and the server -----------------------------------------------------------------

    @rule(dev=st.sampled_from(sorted(SCOPES)), faults=st.sampled_from(FAULT_PROFILES))
    def sync(self, dev: str, faults: Faults) -> None:
        self.net.faults = faults
        self.phones[dev].sync(max_rounds=4)

    @rule(faults=st.sampled_from(FAULT_PROFILES))
    def everyone_syncs(self, faults: Faults) -> None:
        self.net.faults = faults
        for phone in self.phones.values():
            phone.sync(max_rounds=4)

    @rule(n=st.integers(1, 3))
    def late_requests_arrive(self, n: int) -> None:
        self.net.replay_delayed(n)

    @rule(dev=st.sampled_from(sorted(SCOPES)))
    def lose_signal(self, dev: str) -> None:
        self.net.partitioned.add(dev)

    @rule(dev=st.sampled_from(sorted(SCOPES)))
    def regain_signal(self, dev: str) -> None:
        self.net.partitioned.discard(dev)

    @rule(ms=st.integers(0, 3_600_000))
    def time_passes(self, ms: int) -> None:
        self.clock.advance(ms)

    @rule(order=st.sampled_from(ORDERS))
    def buyer_cancels(self, order: str) -> None:
        self.server.cancel_order(order)

    @rule()
    def back_up(self) -> None:
        self.backups.append(self.server.snapshot())

    @rule(which=st.integers(0, 10))
    def restore_from_backup(self, which: int) -> None:
        self.server.restore(self.backups[which % len(self.backups)])  # type: ignore[arg-type]

    # -- the end: deliver everything, then check ----------------------------------------------------

    def teardown(self) -> None:
        self.net.faults = Faults()
        self.net.partitioned.clear()
        self.net.replay_delayed()
        for _ in range(40):
            quiet = True
            for phone in self.phones.values():
                report = phone.sync(max_rounds=200)
                assert report.done, (phone.device_id, report)
                quiet = quiet and report.pushed == 0 and report.changes == 0 and report.resets == 0
            if quiet:
                break
        else:
            raise AssertionError("the phones never converged")
        self._check()

    def _check(self) -> None:
        ledger = self.server.ledger
        recorded_ids = {str(op.id) for op in self.recorded}
        # Exactly once: every fact any phone recorded, and nothing else.
        assert all(ledger.applications[i] == 1 for i in recorded_ids)
        assert set(ledger.applications) == recorded_ids
        for op in self.recorded:
            assert self.server.state.journal[op.id].status in ("applied", "flagged")
        # The ledger is what the ops say, in whatever order they arrived.
        model = model_ledger(self.recorded)
        assert {k: v for k, v in ledger.bins.items() if v} == model.bins
        assert {k: v for k, v in ledger.cash.items() if v} == model.cash
        assert set(ledger.delivered) == model.delivered
        assert not [f for _, f in ledger.exceptions if f.kind in ("ops_lost", "poison_op")]
        # Every phone is empty-handed and sees exactly the server's view of its scopes.
        for name, phone in self.phones.items():
            assert phone.outbox == [] and phone.dead == []
            assert phone.drift_resets == 0  # checksums heal drift; in a correct system there is none
            assert self.server.state.hwm.get(name, 0) == phone.next_seq - 1
            assert phone.epoch == self.server.epoch
            for scope in SCOPES[name]:
                assert phone.replica.get(scope, {}) == self.server.scope_state(scope), (name, scope)
                assert phone.scope_checksum(scope) == self.server.checksum(scope)


PhonesAndServer.TestCase.settings = settings(
    max_examples=2_000 if SOAK else 50,
    stateful_step_count=120 if SOAK else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestPhonesAndServer = PhonesAndServer.TestCase

"""The reference client against the reference server, through a network that misbehaves."""

from __future__ import annotations

import random

import pytest
from sync_testkit import Net, SimClock, ids

from sync import (
    HLC,
    CashCollected,
    Client,
    ProofAttached,
    ProtocolError,
    ReferenceServer,
    StockCounted,
    StockPicked,
    StockReceived,
    SyncRequest,
    SyncResponse,
    TransportError,
)
from tests.kit.faults import Faults

SCOPES = {"wh1": ["wh:W", "orders"], "wh2": ["wh:W"], "rider": ["cash:rider", "orders", "exceptions"]}


def setup(seed: int = 0, faults: Faults | None = None) -> tuple[ReferenceServer, Net, SimClock]:
    epochs = iter(f"ep{n}" for n in range(1, 1000))
    clock = SimClock()
    srv = ReferenceServer(
        scopes=SCOPES,
        orders={f"O{i}": ("shipped", 10_000 * i) for i in range(1, 6)},
        clock=HLC(clock.reader(), max_forward_ms=300_000),
        new_epoch=lambda: next(epochs),
    )
    return srv, Net(server=srv, rng=random.Random(seed), faults=faults or Faults()), clock


def device(net: Net, clock: SimClock, name: str, prefix: int, **kw: object) -> Client:
    return Client(name, net.transport(name), new_id=ids(prefix), now_ms=clock.reader(), **kw)  # type: ignore[arg-type]


def receive(client: Client, qty: int = 1, bin: str = "B1") -> None:
    client.record(StockReceived(wh="W", bin=bin, sku="S1", qty=qty))


def sync_until_done(client: Client, attempts: int = 200) -> None:
    for _ in range(attempts):
        if client.sync().done:
            return
    raise AssertionError(f"{client.device_id} never finished syncing: {len(client.outbox)} ops left")


def assert_replica_matches(client: Client, srv: ReferenceServer) -> None:
    for scope in SCOPES[client.device_id]:
        assert client.replica.get(scope, {}) == srv.scope_state(scope), scope


def test_happy_path_uploads_everything_and_mirrors_the_scope() -> None:
    srv, net, clock = setup()
    c = device(net, clock, "wh1", 1)
    for i in range(7):
        receive(c, i + 1, bin=f"B{i % 3}")
    report = c.sync()
    assert report.done and report.rounds == 1 and report.pushed == 7
    assert c.outbox == [] and c.confirmed == 7
    assert srv.ledger.bin_qty("W", "B0", "S1") == 1 + 4 + 7
    assert_replica_matches(c, srv)


def test_large_outboxes_go_up_in_batches() -> None:
    srv, net, clock = setup()
    c = device(net, clock, "wh1", 1, batch_size=100)
    for _ in range(250):
        receive(c)
    report = c.sync()
    assert report.done and report.rounds == 3
    assert srv.ledger.bin_qty("W", "B1", "S1") == 250


@pytest.mark.parametrize(
    "faults",
    [
        Faults(drop_request=0.5),
        Faults(drop_response=0.5),
        Faults(duplicate=0.7),
        Faults(delay=0.4),
        Faults(drop_request=0.2, drop_response=0.2, duplicate=0.2, delay=0.2),
    ],
    ids=["drop-request", "drop-response", "duplicate", "delay", "everything"],
)
@pytest.mark.parametrize("seed", range(5))
def test_a_flaky_network_applies_every_op_exactly_once(faults: Faults, seed: int) -> None:
    srv, net, clock = setup(seed, faults)
    c = device(net, clock, "wh1", 1, batch_size=4)
    recorded = []
    for round_ in range(6):
        for _ in range(5):
            receive(c, 1 + round_)
        recorded += c.outbox[-5:]
        c.sync()
        if round_ % 2:
            net.replay_delayed(2)  # an old request shows up late, after newer ones
    net.faults = Faults()
    net.replay_delayed()
    sync_until_done(c)
    assert srv.ledger.bin_qty("W", "B1", "S1") == sum(5 * (1 + r) for r in range(6))
    assert all(srv.ledger.applications[str(op.id)] == 1 for op in recorded)
    assert len(srv.ledger.applications) == 30
    assert_replica_matches(c, srv)


def test_flagged_and_rejected_results_are_kept_for_the_user() -> None:
    srv, net, clock = setup()
    srv.cancel_order("O1")
    c = device(net, clock, "rider", 1)
    c.record(CashCollected(order="O1", amount=10_000))
    c.record_raw("stock.received@v1", {"wh": "W", "bin": "B1", "sku": "S1", "qty": -3})
    c.record(CashCollected(order="O2", amount=20_000))
    assert c.sync().done
    assert [n.code for _, notes in c.flagged for n in notes] == ["cash_for_cancelled_order"]
    assert len(c.dead) == 1 and c.dead[0][1].startswith("invalid_payload")
    assert srv.ledger.cash_on_hand("rider") == 30_000
    assert c.replica["exceptions"]  # the rider's exceptions scope shows it


def test_a_restored_server_gets_the_lost_ops_again_and_the_replica_is_rebuilt() -> None:
    srv, net, clock = setup()
    c = device(net, clock, "wh1", 1)
    receive(c, 1)
    c.sync()
    backup = srv.snapshot()
    receive(c, 10)
    receive(c, 100)
    c.sync()
    assert srv.ledger.bin_qty("W", "B1", "S1") == 111
    srv.restore(backup)  # the last two ops were confirmed, then lost with the restore
    assert srv.ledger.bin_qty("W", "B1", "S1") == 1
    receive(c, 1000)
    report = c.sync()
    assert report.resets >= 1
    sync_until_done(c)
    assert srv.ledger.bin_qty("W", "B1", "S1") == 1111
    assert c.epoch == srv.epoch
    assert_replica_matches(c, srv)


def test_ops_the_phone_no_longer_has_are_declared_lost_so_the_queue_moves_on() -> None:
    srv, net, clock = setup()
    c = device(net, clock, "rider", 1, retain=2)  # keeps only its last 2 confirmed ops
    c.record(CashCollected(order="O1", amount=10_000))
    c.sync()
    backup = srv.snapshot()
    for i in range(2, 6):
        c.record(CashCollected(order=f"O{i % 5 + 1}", amount=100))
        c.sync()
    srv.restore(backup)  # seq 2..5 lost by the server; the phone still holds only 4 and 5
    c.record(CashCollected(order="O2", amount=5))
    sync_until_done(c)
    flags = [n.code for _, notes in c.flagged for n in notes]
    assert "ops_lost" in flags
    assert srv.state.hwm["rider"] == 6  # 1, the filler for 2..3, then 4, 5 and 6 uploaded again
    assert srv.ledger.cash_on_hand("rider") == 10_000 + 100 + 100 + 5  # what 2 and 3 recorded is lost


def test_a_poison_op_that_cannot_be_uploaded_is_set_aside_and_the_rest_goes_through() -> None:
    srv, net, clock = setup()

    class Refusing:
        def sync(self, request: SyncRequest, /) -> SyncResponse:
            if any(op.payload.get("qty") == 13 for op in request.ops):
                raise ProtocolError("sync-body-too-large", "this op is enormous", limit=1)
            return net.deliver("wh1", request)

        def put_blob(self, blob_id: str, data: bytes, /) -> None:
            raise AssertionError("no blobs here")

    c = Client("wh1", Refusing(), new_id=ids(1), now_ms=clock.reader(), batch_size=8)
    for qty in (1, 2, 13, 4, 5):
        receive(c, qty)
    report = c.sync()
    assert report.done, report
    assert [op.payload["qty"] for op, _ in c.dead] == [13]
    assert srv.ledger.bin_qty("W", "B1", "S1") == 12
    assert "ops_lost" in [n.code for _, notes in c.flagged for n in notes]


def test_an_unsupported_protocol_version_stops_syncing_and_asks_for_an_update() -> None:
    class Outdated:
        def sync(self, request: SyncRequest, /) -> SyncResponse:
            raise ProtocolError("sync-unsupported-version", "version 1 retired", versions=True)

        def put_blob(self, blob_id: str, data: bytes, /) -> None:
            pass

    c = Client("wh1", Outdated())
    receive(c)
    report = c.sync()
    assert c.must_update and not report.done and report.rounds == 1
    assert len(c.outbox) == 1  # nothing is lost: it goes up after the update


def test_blob_uploads_never_hold_back_ops() -> None:
    srv, net, clock = setup()
    c = device(net, clock, "rider", 1)
    transport = c.transport
    assert hasattr(transport, "blob_failures")
    transport.blob_failures = 1  # type: ignore[attr-defined]
    photo = b"\xff\xd8 delivery photo"
    blob = c.attach_blob(photo)
    c.record(ProofAttached(order="O1", blob=blob))
    assert c.sync().done
    assert srv.ledger.proofs and blob not in srv.state.blobs and blob in c.blobs
    c.sync()
    assert srv.state.blobs[blob] == photo and not c.blobs


def test_pages_are_applied_whole_even_when_the_network_fails_between_them() -> None:
    srv, net, clock = setup()
    writer = device(net, clock, "wh2", 2)
    for i in range(30):
        receive(writer, 1, bin=f"B{i}")
    writer.sync()
    c = device(net, clock, "wh1", 1, page_size=7)
    c.sync_round()
    first_cursor, first = c.cursor, dict(c.replica.get("wh:W", {}))
    assert len(first) == 7
    net.partitioned.add("wh1")
    c.sync()
    assert (c.cursor, c.replica.get("wh:W")) == (first_cursor, first)
    net.partitioned.clear()
    sync_until_done(c)
    assert_replica_matches(c, srv)


def test_a_drifted_replica_is_detected_by_checksum_and_downloaded_again() -> None:
    srv, net, clock = setup()
    c = device(net, clock, "wh1", 1)
    receive(c, 5)
    c.sync()
    c.replica["wh:W"][("bin", "B9/S1")] = 999  # a bug, or someone poking at IndexedDB
    receive(c, 1)
    sync_until_done(c)
    assert c.drift_resets == 1
    assert_replica_matches(c, srv)


def test_a_count_carries_what_the_phone_saw() -> None:
    srv, net, clock = setup()
    c = device(net, clock, "wh1", 1)
    receive(c, 5)
    c.sync()
    c.record(StockCounted(wh="W", bin="B1", sku="S1", counted=4, expected=5, base=c.cursor or ""))
    c.record(StockPicked(wh="W", bin="B1", sku="S1", qty=1, order="O1"))
    sync_until_done(c)
    assert srv.ledger.bin_qty("W", "B1", "S1") == 3


def test_backoff_grows_with_failures_and_resets_on_success() -> None:
    _, net, clock = setup()
    c = device(net, clock, "wh1", 1)
    net.partitioned.add("wh1")
    delays = []
    for _ in range(4):
        c.sync()
        delays.append(c.backoff_seconds(jitter=1.0))
    assert delays == sorted(delays) and delays[0] > 0
    net.partitioned.clear()
    c.sync()
    assert c.backoff_seconds() == 0


def test_transport_errors_are_reported_not_raised() -> None:
    class Down:
        def sync(self, request: SyncRequest, /) -> SyncResponse:
            raise TransportError("no route to host")

        def put_blob(self, blob_id: str, data: bytes, /) -> None:
            raise TransportError("no route to host")

    c = Client("wh1", Down())
    receive(c)
    report = c.sync()
    assert report.error.startswith("network") and len(c.outbox) == 1

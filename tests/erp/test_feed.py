"""The ERP feed against a real HTTP receiver on localhost: signed webhooks (HMAC-SHA256 with a
timestamp), in order per order, retried after a 500 with back-off, dead-lettered after
MAX_ATTEMPTS and sent again from the dead-letter list; and the pull API. Both databases, a fake
clock for the back-off (no sleeps)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import msgspec
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Connection

from server.db import Database
from server.db.encrypted import decrypt
from server.erp.controllers import EndpointIn, create_endpoint
from server.erp.deliver import JOB, MAX_ATTEMPTS, deliver, verify
from server.jobs import Worker
from server.orders.ingest import ingest_batch
from server.orders.schemas import OrderIn
from server.orders.transitions import change_status
from tests.conftest import auth, run
from tests.kit.world import order_payload, seed_world

SECRET = "s3cret-for-the-erp-feed"


@pytest.fixture(autouse=True)
def _no_app_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's own worker (fake clock) delivers; the app's would race it on the real clock."""
    monkeypatch.setenv("BODEGA_JOBS_WORKER", "0")


@dataclass
class Receiver:
    """A local webhook receiver: answers from `plan(event)` (default 200), keeps every request."""

    url: str = ""
    got: list[tuple[dict[str, str], bytes, int]] = field(default_factory=list)
    fail: dict[str, int] = field(default_factory=dict)  # order external id -> 500s left to give

    def accepted(self) -> list[dict[str, Any]]:
        return [json.loads(b) for _, b, code in self.got if code == 200]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ext = json.loads(body)["data"].get("external_id", "")
            with lock:
                code = 200
                if rec.fail.get(ext, 0) > 0:
                    rec.fail[ext] -= 1
                    code = 500
                rec.got.append(({k.lower(): v for k, v in self.headers.items()}, body, code))
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC) + timedelta(seconds=5)  # jobs asked for "now" are due

    def __call__(self) -> datetime:
        return self.at


def _ingest(conn: Connection, names: list[str]) -> list[uuid.UUID]:
    orders = [msgspec.convert(order_payload(n, [("CASE-BLK", 1)]), OrderIn) for n in names]
    return [r.id for r in ingest_batch(conn, orders, "test")]  # type: ignore[union-attr]


def _walk(conn: Connection, order_id: uuid.UUID, *statuses: str) -> None:
    for s in statuses:
        change_status(conn, order_id, s, actor="test")


def _endpoint(conn: Connection, url: str) -> uuid.UUID:
    return create_endpoint(conn, EndpointIn(name="books", url=url, secret=SECRET), "admin").id


async def _drain(worker: Worker, clock: Clock, seconds: float = 0.0) -> None:
    clock.at += timedelta(seconds=seconds)
    while await worker.run_once():
        pass


def _per_order(events: list[dict[str, Any]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for e in events:
        if e["order_id"]:
            out.setdefault(e["data"]["external_id"], []).append(e["seq"])
    return out


def test_signed_in_order_per_order_and_retried_after_a_500(database_url: str, receiver: Receiver) -> None:
    receiver.fail = {"ERP-1": 1}  # the first request about ERP-1 is answered 500

    async def go() -> None:
        await seed_world(database_url, {("CASE-BLK", "VAL"): 10})
        db = Database(database_url)
        clock = Clock()
        worker = Worker(db, {JOB: deliver}, clock=clock)
        try:
            await db.run_write(_endpoint, receiver.url)
            one, two = await db.run_write(_ingest, ["ERP-1", "ERP-2"])
            await db.run_write(_walk, one, "picking", "packed", "shipped")
            await db.run_write(_walk, two, "picking", "packed", "shipped")
            await _drain(worker, clock)
            # ERP-1's first event failed: ERP-1 waits, ERP-2 went through.
            got = _per_order(receiver.accepted())
            assert "ERP-1" not in got and len(got["ERP-2"]) >= 4
            await _drain(worker, clock, 1.0)
            assert "ERP-1" not in _per_order(receiver.accepted())  # back-off: 2 s
            await _drain(worker, clock, 1.5)
            got = _per_order(receiver.accepted())
            for seqs in got.values():
                assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
            assert len(got["ERP-1"]) == len(got["ERP-2"])
            # The one refused was sent again: every ERP-1 event arrived, first to last.
            pulled = await db.run_read(_pull_all)
            assert got["ERP-1"] == [e["seq"] for e in pulled if e["data"].get("external_id") == "ERP-1"]
            types = [e["type"] for e in receiver.accepted() if e["data"].get("external_id") == "ERP-1"]
            assert types[0] == "order.created" and "order.shipped" in types
            assert "stock.moved" in {e["type"] for e in pulled}
            # Every request signed with the endpoint's secret over its timestamp and body.
            for headers, body, _ in receiver.got:
                assert verify(SECRET, body, headers["x-bodega-signature"], int(clock.at.timestamp()))
                assert not verify("wrong", body, headers["x-bodega-signature"], int(clock.at.timestamp()))
                assert headers["x-bodega-event-id"] == json.loads(body)["id"]
            # A tampered body does not verify.
            headers, body, _ = receiver.got[0]
            assert not verify(SECRET, body + b" ", headers["x-bodega-signature"], int(clock.at.timestamp()))
        finally:
            await db.dispose()

    run(go())


def _pull_all(conn: Connection) -> list[dict[str, Any]]:
    from server.erp.controllers import read_events

    return [msgspec.to_builtins(e) for e in read_events(conn, 0, 1000).items]


def test_dead_letter_after_max_attempts_then_retried(
    database_url: str, receiver: Receiver, client: Any, tokens: dict[str, str]
) -> None:
    receiver.fail = {"ERP-D": MAX_ATTEMPTS}  # refused until the feed gives up

    async def go() -> uuid.UUID:
        await seed_world(database_url, {("CASE-BLK", "VAL"): 10})
        db = Database(database_url)
        clock = Clock()
        worker = Worker(db, {JOB: deliver}, clock=clock)
        try:
            await db.run_write(_endpoint, receiver.url)
            (oid,) = await db.run_write(_ingest, ["ERP-D"])
            for _ in range(MAX_ATTEMPTS + 2):
                await _drain(worker, clock, 3700)
            refused = [b for _, b, code in receiver.got if code == 500]
            assert len(refused) == MAX_ATTEMPTS
            assert len({json.loads(b)["seq"] for b in refused}) == 1  # the same event each time
            # The dead one no longer holds the order back: what came after it was delivered.
            await db.run_write(_walk, oid, "picking")
            await _drain(worker, clock, 10)
            assert "order.status_changed" in {e["type"] for e in receiver.accepted()}
            h = auth(tokens["supervisor"])
            dead = client.get("/api/v1/erp/dead-letters", headers=h).json()
            assert dead["total"] == 1 and dead["items"][0]["attempts"] == MAX_ATTEMPTS
            assert dead["items"][0]["event"]["data"]["external_id"] == "ERP-D"
            assert "HTTP 500" in dead["items"][0]["last_error"]
            r = client.post(f"/api/v1/erp/dead-letters/{dead['items'][0]['id']}/retry", headers=h)
            assert r.status_code == 202, r.text
            await _drain(worker, clock, 1)
            assert client.get("/api/v1/erp/dead-letters", headers=h).json()["total"] == 0
            assert dead["items"][0]["seq"] in {e["seq"] for e in receiver.accepted()}
            assert client.post("/api/v1/erp/dead-letters/999999/retry", headers=h).status_code == 404
            return oid
        finally:
            await db.dispose()

    run(go())


def test_endpoints_never_show_the_secret_and_store_it_encrypted(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    h = auth(tokens["admin"])
    body = {
        "name": "books",
        "url": "https://erp.example.ph/hook",
        "secret": SECRET,
        "types": ["order.shipped"],
    }
    r = client.post("/api/v1/erp/endpoints", json=body, headers=h)
    assert r.status_code == 201, r.text
    assert r.json()["has_secret"] is True and SECRET not in r.text and "secret" not in r.json()
    listed = client.get("/api/v1/erp/endpoints", headers=h)
    assert SECRET not in listed.text and listed.json()["total"] == 1
    bad = client.post(
        "/api/v1/erp/endpoints", json={**body, "name": "b2", "types": ["order.eaten"]}, headers=h
    )
    assert bad.status_code in (400, 422) and "types" in bad.text
    assert client.post("/api/v1/erp/endpoints", json=body, headers=h).status_code == 409  # name taken
    assert (
        client.post("/api/v1/erp/endpoints", json=body, headers=auth(tokens["supervisor"])).status_code == 403
    )

    async def stored() -> str:
        db = Database(database_url)
        try:
            async with db.read() as conn:
                raw = await conn.execute(text("SELECT secret FROM erp_endpoints WHERE name = 'books'"))
                return str(raw.scalar())
        finally:
            await db.dispose()

    raw = run(stored())
    assert raw.startswith("enc:v1:") and SECRET not in raw and decrypt(raw) == SECRET
    audit = client.get("/api/v1/audit", params={"entity": "erp_endpoint"}, headers=h).json()
    assert audit["total"] == 1 and audit["items"][0]["action"] == "erp.endpoint.created"
    assert SECRET not in json.dumps(audit)


def test_pull_pages_in_commit_order(database_url: str, client: Any, tokens: dict[str, str]) -> None:
    async def go() -> None:
        await seed_world(database_url, {("CASE-BLK", "VAL"): 10})
        db = Database(database_url)
        try:
            (oid,) = await db.run_write(_ingest, ["ERP-P"])
            await db.run_write(_walk, oid, "picking", "packed", "shipped")
        finally:
            await db.dispose()

    run(go())
    h = auth(tokens["supervisor"])
    first = client.get("/api/v1/events", params={"after": 0, "limit": 2}, headers=h).json()
    rest = client.get("/api/v1/events", params={"after": first["next"], "limit": 1000}, headers=h).json()
    seqs = [e["seq"] for e in first["items"] + rest["items"]]
    assert seqs == list(range(1, len(seqs) + 1))
    assert client.get("/api/v1/events", params={"after": rest["next"]}, headers=h).json()["items"] == []
    assert client.get("/api/v1/events", params={"after": -1}, headers=h).status_code == 422

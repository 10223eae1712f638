"""`bodega bench sync`: the sync endpoints of a real server (`bodega serve`) on a fresh SQLite file,
or on a database of its own on a PostgreSQL server (--database-url, with --workers processes).

1. push: one phone uploads 10,000 ops (scans, deliveries, cash, as a picker and a rider record
   them) in batches of 1,000, MessagePack + gzip, each batch answered after its transaction
   committed: journalled, judged, written to the ledgers and the change log;
2. pull: a phone that has never synced downloads its warehouse scope (10,000+ bins, the catalog)
   in pages of 5,000, to the end marker;
3. no-op sync: a phone with nothing to upload and nothing new, one round trip;
4. 500 phones (400 riders, 100 warehouse staff) syncing at once: each records one to three facts,
   syncs (push and pull in one request) and goes back to work for about `interval` seconds; the
   latency of every sync is kept. Also one burst: all 500 sync at the same instant.
Then `bodega verify` must find no drift. The readable table comes first; the last line printed is
one JSON object with the figures.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec
import uuid_utils
from sqlalchemy import insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from server.auth.models import Device, User
from server.auth.principal import hash_token, new_token
from server.bench.harness import backend, check_stock, check_workers, fresh_database, running_server, table
from server.catalog.models import Barcode, Sku
from server.channels.models import Shop
from server.cod.models import DeliveryRun, RunStop
from server.db.base import new_id, utcnow
from server.db.migrate import upgrade
from server.inventory.models import Bin, Warehouse
from server.orders.models import Order
from sync import (
    HLC,
    Client,
    Op,
    PullRequest,
    PullResponse,
    PushResponse,
    StockReceived,
    SyncRequest,
    SyncResponse,
    decode,
    encode,
    gzip_body,
    op_type_of,
)
from sync.simulator import Stop, Work, mixed_ops, rider_ops, warehouse_op

PUSH_OPS = 10_000
BATCH = 1_000
PAGE = 5_000
PULLS = 5  # fresh phones pulling one after another; the figure is their median
RIDERS = 400
STAFF = 100
STOPS_PER_RIDER = 5
SETUP_BINS = 10_000  # distinct bins with stock in the pulled scope
MSGPACK = "application/msgpack"


def op_id() -> uuid.UUID:
    # UUIDv7, as DESIGN.md asks for ids: time-ordered, so the journal's op_id index stays local.
    return uuid.UUID(bytes=uuid_utils.uuid7().bytes)


@dataclass
class Phone:
    username: str
    device_id: str
    token: str
    work: Work = field(default_factory=Work)


@dataclass
class World:
    pusher: Phone
    setup: Phone
    pullers: list[Phone]  # fresh phones: each pulls the whole scope once
    idle: Phone
    crowd: list[Phone]


def _user(conn: Connection, name: str, role: str, warehouse: uuid.UUID | None) -> Phone:
    uid, did, token = new_id(), new_id(), new_token()
    conn.execute(
        insert(User).values(id=uid, username=name, role=role, password_hash="-", warehouse_id=warehouse)
    )
    conn.execute(insert(Device).values(id=did, user_id=uid, name="bench phone", token_hash=hash_token(token)))
    return Phone(name, str(did), token)


def _orders(conn: Connection, shop: uuid.UUID, wh: uuid.UUID, count: int, start: int) -> list[Stop]:
    rows: list[dict[str, Any]] = []
    stops: list[Stop] = []
    now = utcnow()
    for n in range(start, start + count):
        oid, cod = new_id(), 19_900 + (n % 50) * 1_000
        rows.append(
            {
                "id": oid,
                "shop_id": shop,
                "channel": "shopee",
                "external_id": f"B{n:07d}",
                "status": "shipped",
                "payment_method": "cod",
                "cod_amount": cod,
                "total_amount": cod,
                "customer_name": "Ana Reyes",
                "phone": "+639181234567",
                "street": f"{n} Mabini St.",
                "barangay": "Lahug",
                "city": "Cebu City",
                "province": "Cebu",
                "region": "VII",
                "zip_code": "6000",
                "placed_at": now,
                "channel_updated_at": now,
                "payload_hash": f"{n}",
                "warehouse_id": wh,
                "updated_at": now,
            }
        )
        stops.append(Stop(str(oid), f"JT{n:010d}", cod))
    conn.execute(insert(Order), rows)
    return stops


def _run(conn: Connection, rider: Phone, stops: list[Stop]) -> None:
    run_id = new_id()
    rider_id = conn.execute(User.__table__.select().where(User.username == rider.username)).first()
    assert rider_id is not None
    conn.execute(insert(DeliveryRun).values(id=run_id, rider_id=rider_id[0], name=f"run of {rider.username}"))
    conn.execute(
        insert(RunStop),
        [
            {"run_id": run_id, "order_id": uuid.UUID(s.order), "position": n, "waybill": s.waybill}
            for n, s in enumerate(stops, 1)
        ],
    )
    rider.work.stops = stops


def seed(url: str) -> World:
    async def seed_async() -> World:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as conn:
                return await conn.run_sync(_seed)
        finally:
            await engine.dispose()

    return asyncio.run(seed_async())


def _seed(conn: Connection) -> World:
    val, ceb, shop = new_id(), new_id(), new_id()
    conn.execute(insert(Warehouse), [
        {"id": val, "code": "VAL", "name": "Valenzuela", "region": "NCR"},
        {"id": ceb, "code": "CEB", "name": "Mandaue", "region": "VII"},
    ])  # fmt: skip
    conn.execute(insert(Shop).values(id=shop, channel="shopee", code="bench", name="Bench"))
    val_bins = [f"A-{a:02d}-{lv}" for a in range(1, 101) for lv in range(1, 5)]  # 400 shelves
    ceb_bins = [f"C-{a:02d}-{lv}" for a in range(1, 26) for lv in range(1, 3)]
    conn.execute(insert(Bin), [{"id": new_id(), "warehouse_id": val, "code": c} for c in val_bins])
    conn.execute(insert(Bin), [{"id": new_id(), "warehouse_id": ceb, "code": c} for c in ceb_bins])
    skus = [(new_id(), f"SKU-{i:05d}") for i in range(1, 501)]
    conn.execute(insert(Sku), [{"id": i, "code": c, "name": f"Bench item {c}"} for i, c in skus])
    conn.execute(
        insert(Barcode),
        [{"code": f"480{n:010d}", "sku_id": i, "kind": "ean13"} for n, (i, _) in enumerate(skus)],
    )
    codes = [c for _, c in skus]
    # A supervisor: the one role that may record both warehouse scans and rider facts
    # (sync.AUTHORITY), which is what this phone mixes.
    pusher = _user(conn, "pusher", "supervisor", None)
    pusher.work = Work("VAL", val_bins, codes)
    _run(conn, pusher, _orders(conn, shop, val, 4_000, 0))
    setup = _user(conn, "setup", "warehouse", val)
    pullers = [_user(conn, f"puller{n}", "warehouse", val) for n in range(PULLS)]
    idle = _user(conn, "idle", "warehouse", val)
    crowd: list[Phone] = []
    start = 10_000
    for n in range(RIDERS):
        rider = _user(conn, f"rider{n:03d}", "rider", None)
        _run(conn, rider, _orders(conn, shop, ceb, STOPS_PER_RIDER, start))
        start += STOPS_PER_RIDER
        crowd.append(rider)
    for n in range(STAFF):
        staff = _user(conn, f"staff{n:03d}", "warehouse", ceb)
        staff.work = Work("CEB", ceb_bins, codes[:100])
        crowd.append(staff)
    return World(pusher, setup, pullers, idle, crowd)


def _headers(phone: Phone) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {phone.token}",
        "Content-Type": MSGPACK,
        "Accept": MSGPACK,
        "Accept-Encoding": "gzip",
    }


def fill_scope(http: httpx.Client, world: World) -> None:
    """Untimed: stock in 10,000 distinct VAL bins, so a new warehouse phone has that much to pull."""
    rng = random.Random(3)
    pairs = rng.sample([(b, s) for b in world.pusher.work.bins for s in world.pusher.work.skus], SETUP_BINS)
    phone = Client(world.setup.device_id, transport=None, new_id=op_id)  # type: ignore[arg-type]
    for bin, sku in pairs:
        phone.record(StockReceived(wh="VAL", bin=bin, sku=sku, qty=rng.randint(1, 40)))
    headers = _headers(world.setup) | {"Content-Encoding": "gzip"}
    for start in range(0, SETUP_BINS, BATCH):
        body = gzip_body(
            encode(SyncRequest(v=1, ops=phone.outbox[start : start + BATCH], pull=False), "msgpack")
        )
        response = http.post("/sync/v1/push", content=body, headers=headers)
        assert response.status_code == 200, response.text


def bench_push(http: httpx.Client, world: World) -> dict[str, Any]:
    rng = random.Random(1)
    phone = Client(world.pusher.device_id, transport=None, new_id=op_id)  # type: ignore[arg-type]
    for payload in mixed_ops(rng, world.pusher.work, PUSH_OPS, scans=0.6):
        phone.record(payload)
    ops = phone.outbox
    # The phone builds its request bodies; the clock runs while the server receives, decodes,
    # journals, judges, writes and commits them, and answers.
    bodies = [
        gzip_body(encode(SyncRequest(v=1, ops=ops[i : i + BATCH], pull=False), "msgpack"))
        for i in range(0, len(ops), BATCH)
    ]
    headers = _headers(world.pusher) | {"Content-Encoding": "gzip"}
    statuses: dict[str, int] = {}
    down = 0
    latencies: list[float] = []
    started = time.perf_counter()
    for body in bodies:
        t0 = time.perf_counter()
        response = http.post("/sync/v1/push", content=body, headers=headers)
        latencies.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.text
        down += response.num_bytes_downloaded
        for result in decode(response.content, PushResponse, "msgpack").res:
            statuses[result.st] = statuses.get(result.st, 0) + 1
    elapsed = time.perf_counter() - started
    up = sum(len(b) for b in bodies)
    return {
        "push_ops_per_s": round(len(ops) / elapsed, 1),
        "push_bytes_per_op": round((up + down) / len(ops), 1),
        "push_up_bytes_per_op": round(up / len(ops), 1),
        "push_down_bytes_per_op": round(down / len(ops), 1),
        "push_batch_ms_max": round(max(latencies) * 1000, 1),
        "push_results": statuses,
    }


def bench_pull(http: httpx.Client, world: World) -> tuple[dict[str, Any], str]:
    """Fresh phones pull the whole scope one after another; the figure is their median.

    One pull takes a few tens of milliseconds, so one write queued ahead of the first page's
    (the phone's scopes are remembered on its first pull) moves a single pull's rate by half
    or more; the median of several is what a fresh phone sees.
    """
    pulls = [_pull_everything(http, phone) for phone in world.pullers]
    rates = [figures["pull_changes_per_s"] for figures, _ in pulls]
    figures, cursor = pulls[-1]
    figures["pull_changes_per_s"] = round(statistics.median(rates), 1)
    figures["pull_fresh_phone_rates"] = rates  # each phone's, in pull order
    figures["pull_fresh_phones"] = len(rates)
    return figures, cursor


def _pull_everything(http: httpx.Client, phone: Phone) -> tuple[dict[str, Any], str]:
    headers = _headers(phone)
    cursor: str | None = None
    changes = pages = 0
    down = 0
    started = time.perf_counter()
    while True:
        body = encode(PullRequest(v=1, cur=cursor, lim=PAGE), "msgpack")
        response = http.post("/sync/v1/pull", content=body, headers=headers)
        assert response.status_code == 200, response.text
        down += response.num_bytes_downloaded
        page = decode(response.content, PullResponse, "msgpack")
        changes += len(page.ch)
        pages += 1
        cursor = page.cur
        if not page.more:
            break
    elapsed = time.perf_counter() - started
    assert cursor is not None
    figures = {
        "pull_changes_per_s": round(changes / elapsed, 1),
        "pull_changes": changes,
        "pull_pages": pages,
        "pull_bytes_per_change": round(down / changes, 1),
    }
    return figures, cursor


def bench_noop(http: httpx.Client, world: World, cursor: str) -> dict[str, Any]:
    up = encode(SyncRequest(v=1, cur=cursor), "msgpack")
    response = http.post("/sync/v1/sync", content=up, headers=_headers(world.pullers[-1]))
    assert response.status_code == 200, response.text
    answer = decode(response.content, SyncResponse, "msgpack")
    assert not answer.ch and not answer.more
    header_bytes = sum(len(k) + len(v) + 4 for k, v in response.headers.items()) + 17
    return {
        "noop_sync_bytes": len(up) + response.num_bytes_downloaded,
        "noop_sync_up_bytes": len(up),
        "noop_sync_down_bytes": response.num_bytes_downloaded,
        "noop_sync_response_header_bytes": header_bytes,
        "noop_sync_round_trips": 1,
    }


# -- 500 phones at once: a small asyncio HTTP/1.1 client, so the load generator stays cheap -------


class Wire:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        reused = not (self.writer is None or self.reader is None or self.writer.is_closing())
        if reused and self.reader is not None and self.reader.at_eof():
            reused = False  # the server closed it while it was idle
        if not reused:
            await self._connect()
        try:
            return await self._exchange(path, body, headers)
        except (asyncio.IncompleteReadError, ConnectionResetError):
            if not reused:
                raise
            # The server closed this keep-alive connection as it went idle (uvicorn does after
            # 5 s), before reading the request: send it again on a new one, as HTTP clients do.
            await self._connect()
            return await self._exchange(path, body, headers)

    async def _connect(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def _exchange(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        assert self.reader is not None and self.writer is not None
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.writer.write(
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode()
            + body
        )
        status_line = await self.reader.readuntil(b"\r\n")
        status = int(status_line.split()[1])
        length, encoding = 0, ""
        while True:
            line = await self.reader.readuntil(b"\r\n")
            if line == b"\r\n":
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "content-encoding":
                encoding = value.strip()
        data = await self.reader.readexactly(length)
        return status, gzip.decompress(data) if encoding == "gzip" else data


class Refused(RuntimeError):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"sync answered {status}: {body[:200]!r}")
        self.status = status


class CrowdPhone:
    """A phone as the load generator runs it: outbox, cursor, clock; the reference client's rules."""

    def __init__(self, phone: Phone, rng: random.Random) -> None:
        self.phone = phone
        self.rng = rng
        self.clock = HLC()
        self.seq = 0
        self.outbox: list[Op] = []
        self.cursor: str | None = None
        self.stops = iter(phone.work.stops)
        self.stock: dict[tuple[str, str], int] = {}
        self.headers = _headers(phone)

    def work(self) -> None:
        if self.phone.work.stops:
            stop = next(self.stops, None)
            payloads = rider_ops(self.rng, stop) if stop is not None else []
        else:
            payloads = [
                warehouse_op(self.rng, self.phone.work, self.stock) for _ in range(self.rng.randint(1, 3))
            ]
        for payload in payloads:
            self.seq += 1
            self.outbox.append(
                Op(
                    op_id(),
                    self.phone.device_id,
                    self.seq,
                    int(time.time() * 1000),
                    self.clock.send(),
                    op_type_of(payload),
                    msgspec.to_builtins(payload),
                )
            )

    async def sync(self, wire: Wire) -> float:
        """Push and pull until the end marker; returns the seconds it took (usually one round trip)."""
        started = time.perf_counter()
        while True:
            body = encode(SyncRequest(v=1, ops=self.outbox[:500], cur=self.cursor), "msgpack")
            status, data = await wire.post("/sync/v1/sync", body, self.headers)
            if status != 200:
                raise Refused(status, data)
            answer = decode(data, SyncResponse, "msgpack")
            self.clock.receive(answer.hlc)
            self.outbox = [op for op in self.outbox if op.seq > answer.hwm]
            self.cursor = answer.cur
            if not answer.more and not self.outbox:
                return time.perf_counter() - started


async def crowd(host: str, port: int, world: World, duration: float, interval: float) -> dict[str, Any]:
    rng = random.Random(9)
    phones = [CrowdPhone(p, random.Random(n)) for n, p in enumerate(world.crowd)]
    wires = [Wire(host, port) for _ in phones]
    # Phones in use: they synced before (untimed, a few at a time).
    for start in range(0, len(phones), 50):
        await asyncio.gather(
            *(p.sync(w) for p, w in zip(phones[start : start + 50], wires[start : start + 50], strict=True))
        )
    burst_started = time.perf_counter()
    for p in phones:
        p.work()
    burst = sorted(await asyncio.gather(*(p.sync(w) for p, w in zip(phones, wires, strict=True))))
    burst_s = time.perf_counter() - burst_started
    latencies: list[float] = []
    errors = server_errors = 0
    deadline = time.perf_counter() + duration

    async def live(phone: CrowdPhone, wire: Wire) -> None:
        nonlocal errors, server_errors
        await asyncio.sleep(rng.uniform(0, interval))
        while time.perf_counter() < deadline:
            phone.work()
            try:
                latencies.append(await phone.sync(wire))
            except Refused as exc:
                errors += 1
                server_errors += exc.status >= 500
            except Exception:
                errors += 1
            await asyncio.sleep(rng.uniform(0.5 * interval, 1.5 * interval))

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(live(p, w) for p, w in zip(phones, wires, strict=True)))
    elapsed = time.perf_counter() - started
    client_cpu = (time.process_time() - cpu) / elapsed
    latencies.sort()

    def pct(values: list[float], q: float) -> float:
        return round(values[min(len(values) - 1, int(q * len(values)))] * 1000, 1) if values else 0.0

    return {
        "concurrent_devices": len(phones),
        "concurrent_interval_s": interval,
        "concurrent_syncs": len(latencies),
        "concurrent_syncs_per_s": round(len(latencies) / elapsed, 1),
        "concurrent_p50_ms": pct(latencies, 0.50),
        "concurrent_p99_ms": pct(latencies, 0.99),
        "concurrent_max_ms": pct(latencies, 1.0),
        "concurrent_errors": errors,
        "concurrent_5xx": server_errors,
        "concurrent_client_cpu": round(client_cpu, 2),  # the load generator's share of a core
        "burst_all_at_once_s": round(burst_s, 3),
        "burst_p50_ms": pct(burst, 0.50),
        "burst_p99_ms": pct(burst, 0.99),
        "mean_ops_per_sync": round(statistics.mean([1.5 if p.phone.work.stops else 2.0 for p in phones]), 2),
    }


def main(
    duration: int = 10, workers: int = 1, interval: float = 2.0, database_url: str | None = None
) -> dict[str, Any]:
    check_workers(database_url, workers)
    with fresh_database(database_url) as url:
        upgrade(url)
        world = seed(url)
        # SQLite with the writer process (server/db/writer.py): HTTP and pulls on one core, the
        # group-committed pushes and the projector on the other. (PostgreSQL: no writer process.)
        with running_server(url, workers=workers, env={"BODEGA_WRITER_PROCESS": "1"}) as server:
            with httpx.Client(base_url=server.url, timeout=300) as http:
                fill_scope(http, world)
                push = bench_push(http, world)
                pull, cursor = bench_pull(http, world)
                noop = bench_noop(http, world, cursor)
            port = int(server.url.rsplit(":", 1)[1])
            concurrent = asyncio.run(crowd("127.0.0.1", port, world, duration, interval))
        stock = check_stock(url)
    ok = stock.verify_ok
    figures = {
        **push,
        **pull,
        **noop,
        **concurrent,
        "verify_ok": ok,
        "oversold": stock.oversold,
        "server_errors_5xx": concurrent[
            "concurrent_5xx"
        ],  # push, pull and no-op stop the bench on any non-200
        "database": backend(url),
        "server_processes": workers,
        "sqlite_writer_process": backend(url) == "sqlite",
    }
    pull_rates: list[float] = pull["pull_fresh_phone_rates"]
    print(
        table(
            [
                ("measure", "value", "target"),
                (
                    "push, one phone, batches of 1,000 (ops/s)",
                    f"{figures['push_ops_per_s']:,.0f}",
                    ">= 20,000",
                ),
                ("push bytes per op, up + down", f"{figures['push_bytes_per_op']}", "<= 100"),
                (
                    f"pull, fresh phone (changes/s, median of {figures['pull_fresh_phones']})",
                    f"{figures['pull_changes_per_s']:,.0f}",
                    ">= 50,000",
                ),
                (
                    "  lowest - highest",
                    f"{min(pull_rates):,.0f} - {max(pull_rates):,.0f}",
                    "",
                ),
                (
                    "  changes pulled / pages",
                    f"{figures['pull_changes']:,} / {figures['pull_pages']}",
                    ">= 10,000",
                ),
                (
                    "no-op sync, bodies up + down (bytes)",
                    str(figures["noop_sync_bytes"]),
                    "< 400, 1 round trip",
                ),
                (
                    f"{figures['concurrent_devices']} phones, sync every ~{interval:g} s: p99 (ms)",
                    str(figures["concurrent_p99_ms"]),
                    "<= 200",
                ),
                (
                    "  p50 (ms) / syncs per s / errors",
                    " / ".join(
                        str(figures[k])
                        for k in ("concurrent_p50_ms", "concurrent_syncs_per_s", "concurrent_errors")
                    ),
                    "",
                ),
                (
                    "  all at the same instant: done in (s) / p99 (ms)",
                    f"{figures['burst_all_at_once_s']} / {figures['burst_p99_ms']}",
                    "",
                ),
                ("5xx answers", str(figures["server_errors_5xx"]), "0"),
                ("units oversold", str(stock.oversold), "0"),
                ("bodega verify", "ok" if ok else "DRIFT", "ok"),
            ]
        )
    )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()

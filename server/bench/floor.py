"""`bodega bench floor`: how fast SQLite alone can store what ingestion and a push must store, on
this machine.

The bulk ingestion target is 20,000 orders/s. This measures two ceilings under it, in one process,
without HTTP:
1. the write floor: the rows one ingested order needs (the order, two lines, two reservations, its
   first history row, its pick task in the sync change log, the reserved counters), inserted with
   raw sqlite3 `executemany` from ready-made tuples, 1,000 orders per transaction, on the real
   schema with the writer's settings: no reads, no validation, no allocation, no Python objects;
2. the ingestion transaction: `ingest_batch` on 1,000 decoded orders per transaction.
The HTTP bulk endpoint (`bodega bench ingest`) can only be slower than both.
3. the push write floor: the same for the cheapest op a phone pushes (see push_floor).
"""

from __future__ import annotations

import json
import random
import sqlite3
import time
from typing import Any

import msgspec
from sqlalchemy import create_engine

from server.bench.harness import fresh_sqlite, run, table
from server.bench.ingest import BULK_ADDRESS, seed
from server.db.base import new_id
from server.db.migrate import upgrade
from server.db.sqlite import SQLITE_PRAGMAS, WRITER_CACHE_KB, prepare_sqlite
from server.orders.ingest import ingest_batch
from server.orders.schemas import OrderIn

BATCH = 1000
BATCHES = 20
NOW = "2026-11-11 00:05:00.000000"


def _hex() -> str:
    return new_id().hex


def write_floor(path: str) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (*SQLITE_PRAGMAS, f"PRAGMA cache_size=-{WRITER_CACHE_KB}"):
        conn.execute(pragma)
    shop = conn.execute("SELECT id FROM shops").fetchone()[0]
    wh = conn.execute("SELECT id FROM warehouses WHERE code = 'VAL'").fetchone()[0]
    skus = [r[0] for r in conn.execute("SELECT id FROM skus")]
    columns = [r[1] for r in conn.execute("PRAGMA table_info(orders)")]
    rng = random.Random(3)
    batches: list[tuple[list[tuple[Any, ...]], ...]] = []
    for b in range(BATCHES):
        orders, lines, reservations, history, changes = [], [], [], [], []
        for i in range(BATCH):
            oid = _hex()
            values = {c: None for c in columns} | {
                "id": oid, "shop_id": shop, "channel": "shopee", "external_id": f"floor-{b}-{i}",
                "status": "allocated", "channel_status": "", "payment_method": "cod", "cod_amount": 39800,
                "total_amount": 39800, "shipping_fee": 0, "customer_name": "Juan dela Cruz",
                "phone": "+639171234567", "street": "12 Rizal St.", "barangay": "Malinta",
                "city": "Valenzuela", "province": "Metro Manila", "region": "NCR", "zip_code": "1440",
                "placed_at": NOW, "channel_updated_at": NOW, "payload_hash": "0" * 64, "warehouse_id": wh,
                "created_at": NOW, "updated_at": NOW, "logged_at": NOW,
            }  # fmt: skip
            orders.append(tuple(values[c] for c in columns))
            for line_no in (1, 2):
                line, sku = _hex(), rng.choice(skus)
                lines.append((line, oid, line_no, sku, 1, 19900, ""))
                reservations.append((_hex(), oid, line, sku, wh, 1, "active", NOW))
            history.append((oid, None, "allocated", "floor", "received from floor; reserved in VAL", NOW))
            changes.append(("task", oid, "wh:VAL", b * BATCH + i + 1, '{"lines":[],"status":"allocated"}', i))
        batches.append((orders, lines, reservations, history, changes))
    statements = (
        f"INSERT INTO orders ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
        "INSERT INTO order_lines (id, order_id, line_no, sku_id, qty, unit_price, external_line_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO reservations (id, order_id, order_line_id, sku_id, warehouse_id, qty, status, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "INSERT INTO order_status_changes (order_id, from_status, to_status, actor, reason, at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        'INSERT INTO sync_changes (kind, "key", scope, position, val, h) VALUES (?, ?, ?, ?, ?, ?)',
    )
    counters = [(sku, wh) for sku in skus]
    started = time.perf_counter()
    for rows in batches:
        conn.execute("BEGIN IMMEDIATE")
        for sql, values in zip(statements, rows, strict=True):
            conn.executemany(sql, values)
        conn.executemany(
            "UPDATE stock_balances SET reserved = reserved + 1 WHERE sku_id = ? AND warehouse_id = ?",
            counters,
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return BATCHES * BATCH / elapsed


def push_floor(path: str) -> float:
    """The rows the cheapest pushed op needs (a stock scan): its journal row, its stock movement,
    its bin balance, its entity in the change log; per transaction the SKU balances, the device's
    high-water mark and the scope checksum. 1,000 ops per transaction, as `bodega bench sync`."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (*SQLITE_PRAGMAS, f"PRAGMA cache_size=-{WRITER_CACHE_KB}"):
        conn.execute(pragma)
    wh = conn.execute("SELECT id FROM warehouses WHERE code = 'VAL'").fetchone()[0]
    skus = [r[0] for r in conn.execute("SELECT id, code FROM skus")]
    user, device = _hex(), _hex()
    conn.execute(
        "INSERT INTO users (id, username, full_name, role, password_hash, active, created_at) "
        "VALUES (?, 'floor', 'Floor', 'warehouse', '-', 1, ?)",
        (user, NOW),
    )
    conn.execute(
        "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES (?, ?, 'phone', ?, ?)",
        (device, user, _hex(), NOW),
    )
    conn.execute(
        "INSERT INTO sync_devices (device_id, hwm, scopes, updated_at) VALUES (?, 0, '[]', ?)", (device, NOW)
    )
    bins = [_hex() for _ in range(10_000)]  # the bench's warehouse scope has 10,000 stocked bins
    conn.executemany(
        "INSERT INTO bins (id, warehouse_id, code, zone, active, created_at) VALUES (?, ?, ?, '', 1, ?)",
        [(b, wh, f"F-{n:05d}", NOW) for n, b in enumerate(bins)],
    )
    rng = random.Random(9)
    batches = []
    seq = 0
    for b in range(BATCHES):
        journal, moves, placed, changes = [], [], {}, []
        for _ in range(BATCH):
            seq += 1
            op, bin_id, sku = _hex(), rng.choice(bins), rng.choice(skus)
            payload = f'{{"wh":"VAL","bin":"F","sku":"S","qty":1,"at":{seq}}}'
            journal.append(
                (op, device, seq, seq, 1_767_225_600_000, f"{seq:016x}", "stock.received@v1", payload,
                 "floor", "applied", "[]", NOW)
            )  # fmt: skip
            moves.append((sku, wh, bin_id, "receive", 1, "", "op", op, "floor", NOW, f"{seq:016x}~dev"))
            placed[(bin_id, sku)] = placed.get((bin_id, sku), 0) + 1
            changes.append(("bin", f"{bin_id}/{sku}", "wh:VAL", b * BATCH + len(changes) + 1, "1", seq))
        batches.append((journal, moves, placed, changes, seq))
    started = time.perf_counter()
    for journal, moves, placed, changes, last in batches:
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO sync_ops (op_id, device_id, seq, last_seq, wall, hlc, type, payload, actor, status, "
            "notes, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            journal,
        )
        conn.executemany(
            "INSERT INTO stock_movements (sku_id, warehouse_id, bin_id, kind, qty, reason, ref_type, ref_id, "
            "actor, created_at, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            moves,
        )
        conn.executemany(
            "INSERT INTO bin_balances (bin_id, sku_id, qty, updated_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (bin_id, sku_id) DO UPDATE SET qty = qty + excluded.qty, "
            "updated_at = excluded.updated_at",
            [(bin_id, sku, qty, NOW) for (bin_id, sku), qty in sorted(placed.items())],
        )
        conn.executemany(
            "UPDATE stock_balances SET on_hand = on_hand + 1 WHERE sku_id = ? AND warehouse_id = ?",
            [(sku, wh) for sku in skus],
        )
        conn.executemany(
            'INSERT INTO sync_changes (kind, "key", scope, position, val, h) VALUES (?, ?, ?, ?, ?, ?) '
            'ON CONFLICT (kind, "key", scope) DO UPDATE SET position = excluded.position, val = excluded.val',
            changes,
        )
        conn.execute(
            "UPDATE sync_devices SET hwm = ?, updated_at = ? WHERE device_id = ?", (last, NOW, device)
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return BATCHES * BATCH / elapsed


def ingest_transactions(url: str, skus: list[str]) -> float:
    rng = random.Random(5)
    batches = [
        [
            msgspec.convert(
                {
                    "shop": "bench-shop",
                    "external_id": f"tx-{b}-{i}",
                    "payment_method": "cod",
                    "placed_at": "2026-11-11T00:05:00+08:00",
                    "address": BULK_ADDRESS,
                    "lines": [{"sku": rng.choice(skus), "qty": 1, "unit_price": "199.00"} for _ in range(2)],
                },
                OrderIn,
            )
            for i in range(BATCH)
        ]
        for b in range(BATCHES)
    ]
    engine = create_engine(url.replace("sqlite+aiosqlite", "sqlite"))
    prepare_sqlite(engine, writer=True)
    try:
        started = time.perf_counter()
        for orders in batches:
            with engine.begin() as conn:
                ingest_batch(conn, orders, "floor")
        return BATCHES * BATCH / (time.perf_counter() - started)
    finally:
        engine.dispose()


def main() -> dict[str, Any]:
    with fresh_sqlite() as url:
        upgrade(url)
        _, skus = run(seed(url))
        floor = write_floor(url.removeprefix("sqlite+aiosqlite:///"))
    with fresh_sqlite() as url:
        upgrade(url)
        _, skus = run(seed(url))
        transaction = ingest_transactions(url, skus)
    with fresh_sqlite() as url:
        upgrade(url)
        run(seed(url))
        push = push_floor(url.removeprefix("sqlite+aiosqlite:///"))
    figures = {
        "sql_floor_orders_per_s": round(floor, 1),
        "sql_floor_us_per_order": round(1e6 / floor, 1),
        "ingest_tx_orders_per_s": round(transaction, 1),
        "ingest_tx_us_per_order": round(1e6 / transaction, 1),
        "sql_floor_push_ops_per_s": round(push, 1),
        "sql_floor_push_us_per_op": round(1e6 / push, 1),
        "batch": BATCH,
        "orders": BATCH * BATCHES,
    }
    print(
        table(
            [
                ("measure (1,000 orders or ops per transaction)", "per s", "µs each"),
                ("SQLite write floor (raw executemany)", f"{floor:,.0f}", f"{1e6 / floor:.1f}"),
                ("ingest_batch transaction", f"{transaction:,.0f}", f"{1e6 / transaction:.1f}"),
                ("bulk target, end to end over HTTP", "20,000", "50.0"),
                ("SQLite write floor of a pushed stock scan (ops)", f"{push:,.0f}", f"{1e6 / push:.1f}"),
                ("push target, end to end over HTTP (ops)", "20,000", "50.0"),
            ]
        )
    )
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()

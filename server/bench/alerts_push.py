"""Web push figures for `bodega bench alerts` (server/bench/alerts.py adds `measure_push` to its
MEASUREMENTS; `python -m server.bench.alerts_push` runs it alone on a fresh SQLite file).

- `fanout_s`: one alert to 1,000 subscriptions (50 supervisors, 20 browsers each): read their
  subscriptions, encrypt and sign 1,000 messages, POST each to a push service on localhost that
  decrypts every one (server/bench/push_receiver.py) and checks its VAPID JWT, record the outcome.
  From the call until the last message is decrypted and the outcome committed. Target <= 5 s.
- `push_backlog_s`: what the database holds untold when the worker starts (in `bodega bench
  alerts`, the rules' first pass: a few hundred exceptions) told to 20 supervisors with one
  browser each: from the worker's start until every one is marked told.
- `push_p99_s`: exception raised (its write committed) to push received and decrypted, p99 over
  every delivery of 60 exceptions raised 100 ms apart to the same 20 supervisors, after the
  backlog, through the real path: the alerts' notification round on the durable job queue, the
  worker woken by the commit as the server's is (server/alerts/jobs.py `wake_on_exceptions`).
  Only the pushes about these 60 count, and the bench waits for exactly those. Target <= 2 s.

Both run while the push service decrypts in the same process and the machine does whatever else it
does: the figures are under that load (and say nothing of a real push service's network time).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from server.alerts.jobs import notify_round, wake_on_exceptions
from server.auth.models import Device, User
from server.auth.principal import hash_token
from server.bench.push_receiver import PushReceiver, Received
from server.db import Database
from server.db.base import new_id, utcnow
from server.exceptions.models import ExceptionRecord
from server.exceptions.raising import NOTIFY_JOB, exception_row, raise_exceptions
from server.jobs import Worker
from server.jobs.worker import Handler
from server.push.alerts import RETRY_JOB, PushService, push_retry
from server.push.delivery import Message
from server.push.models import PushSubscription
from server.writes import finish

FANOUT_PEOPLE, FANOUT_BROWSERS = 50, 20  # 1,000 subscriptions
LATENCY_PEOPLE = 20
LATENCY_EXCEPTIONS = 60
LATENCY_GAP_S = 0.1

Rows = list[tuple[str, str, str]]


def _people(conn: Connection, prefix: str, people: int, browsers: int, receiver: PushReceiver) -> list[str]:
    """Supervisors with `browsers` subscribed devices each, at the local push service."""
    names: list[str] = []
    users, devices, subs = [], [], []
    for p in range(people):
        user_id, name = new_id(), f"{prefix}{p:03d}"
        names.append(name)
        users.append(
            {"id": user_id, "username": name, "role": "supervisor", "password_hash": "x", "active": True}
        )
        for b in range(browsers):
            device_id = new_id()
            devices.append(
                {
                    "id": device_id,
                    "user_id": user_id,
                    "name": "bench",
                    "token_hash": hash_token(f"{name}-{b}"),
                }
            )
            sub = receiver.subscription(f"{name}-{b}")
            subs.append(
                {
                    "id": new_id(),
                    "user_id": user_id,
                    "device_id": device_id,
                    "endpoint": sub["endpoint"],
                    "p256dh": sub["keys"]["p256dh"],
                    "auth": sub["keys"]["auth"],
                    "created_at": utcnow(),
                }
            )
    conn.execute(insert(User), users)
    conn.execute(insert(Device), devices)
    conn.execute(insert(PushSubscription), subs)
    return names


def _retire(conn: Connection, names: list[str]) -> None:
    from sqlalchemy import update

    conn.execute(update(User).where(User.username.in_(names)).values(active=False))


def _raise(conn: Connection, n: int, now: datetime) -> uuid.UUID:
    row = exception_row(
        "low_stock",
        f"bench exception {n}",
        now=now,
        severity="warning",
        subject=("sku", f"BENCH-{n:04d}"),
    )
    raise_exceptions(conn, [row])
    return row["id"]


async def _fanout(db: Database, receiver: PushReceiver, push: PushService) -> tuple[float, int]:
    names = await db.run_write(_people, "fan", FANOUT_PEOPLE, FANOUT_BROWSERS, receiver)
    await push.sender()  # the key pair is read once per process, not per alert
    message = Message(
        {"title": "Bench alert", "body": "one alert to 1,000 browsers", "url": "/exceptions", "tag": "bench"},
        topic="bench",
    )
    started = time.perf_counter()
    outcome = await push.push(uuid.uuid4(), message, names)
    took = time.perf_counter() - started
    await db.run_write(_retire, names)  # the latency run tells others
    return took, len(outcome.sent)


def _untold(conn: Connection) -> int:
    e = ExceptionRecord
    return int(conn.execute(select(func.count()).where(e.last_notified_at.is_(None))).scalar_one())


async def _wait_told(db: Database, timeout_s: float, every_s: float = 0.05) -> None:
    for _ in range(int(timeout_s / every_s)):
        if not await db.run_read(_untold):
            return
        await asyncio.sleep(every_s)


async def _latency(db: Database, receiver: PushReceiver, push: PushService) -> tuple[float, int, list[float]]:
    """The backlog's time and size, then the raised-to-received latencies (module docstring)."""
    await db.run_write(_people, "lat", LATENCY_PEOPLE, 1, receiver)
    backlog = await db.run_read(_untold)
    handlers: dict[str, Handler] = {NOTIFY_JOB: notify_round, RETRY_JOB: push_retry}
    worker = Worker(db, handlers, services={"push": push})
    wake_on_exceptions(db, worker)
    push.listen()
    worker.start()
    raised: dict[str, float] = {}

    def ours(got: list[Received]) -> int:
        return sum(1 for r in got if r.payload.get("exception") in raised)

    try:
        started = time.perf_counter()
        await _wait_told(db, 120.0)
        backlog_s = time.perf_counter() - started
        for n in range(LATENCY_EXCEPTIONS):
            exception_id = await db.run_write(_raise, n, utcnow())
            raised[str(exception_id)] = time.perf_counter()  # committed: the clock starts
            await asyncio.sleep(LATENCY_GAP_S)
        want = LATENCY_EXCEPTIONS * LATENCY_PEOPLE
        await asyncio.to_thread(receiver.wait_until, lambda got: ours(got) >= want, 60.0)
    finally:
        await worker.stop()
        push.close()
    got = list(receiver.received)
    latencies = [r.at - raised[r.payload["exception"]] for r in got if r.payload.get("exception") in raised]
    return backlog_s, backlog, latencies


def measure_push(url: str, ctx: dict[str, Any] | None = None) -> tuple[dict[str, float], Rows]:
    """`bodega bench alerts`'s web push figures (see the module docstring)."""
    receiver = PushReceiver()

    async def go() -> tuple[float, int, tuple[float, int, list[float]]]:
        db = Database(url, finish=finish)  # the reactions say what committed (the worker is woken)
        push = PushService(db)
        try:
            receiver.vapid_key = (await push.vapid()).public_key
            fanout_s, sent = await _fanout(db, receiver, push)
            return fanout_s, sent, await _latency(db, receiver, push)
        finally:
            push.close()
            await db.dispose()

    try:
        fanout_s, sent, (backlog_s, backlog, latencies) = asyncio.run(go())
    finally:
        receiver.close()
    if receiver.rejected:
        raise SystemExit(
            f"the push service refused {len(receiver.rejected)} messages: {receiver.rejected[:3]}"
        )
    latencies.sort()
    p99 = latencies[max(0, round(0.99 * len(latencies)) - 1)] if latencies else float("nan")
    figures = {
        "fanout_s": round(fanout_s, 3),
        "fanout_sent": float(sent),
        "push_p50_s": round(statistics.median(latencies), 3) if latencies else float("nan"),
        "push_p99_s": round(p99, 3),
        "push_deliveries": float(len(latencies)),
        "push_backlog_s": round(backlog_s, 3),
        "push_backlog_exceptions": float(backlog),
    }
    rows: Rows = [
        ("web push", "figure", "target"),
        (
            f"fan-out to {FANOUT_PEOPLE * FANOUT_BROWSERS:,} subscriptions",
            f"{fanout_s:.3f} s ({sent} sent)",
            "<= 5 s",
        ),
        (f"backlog of {backlog} exceptions told to {LATENCY_PEOPLE}", f"{backlog_s:.3f} s", ""),
        (f"raised -> received, p50 ({len(latencies)} deliveries)", f"{figures['push_p50_s']:.3f} s", ""),
        ("raised -> received, p99", f"{p99:.3f} s", "<= 2 s"),
    ]
    return figures, rows


def main() -> dict[str, float]:
    from server.bench.harness import fresh_database, table
    from server.db.migrate import upgrade

    with fresh_database(None) as url:
        upgrade(url)
        figures, rows = measure_push(url, {})
    print(table(rows))
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()

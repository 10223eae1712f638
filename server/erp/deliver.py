"""Webhook delivery of the ERP feed: at least once, in order per key (an order's events arrive in
the order they happened), retried with back-off, dead-lettered after MAX_ATTEMPTS.

One periodic durable job per endpoint (`erp.deliver`, key = endpoint id) walks the outbox from the
endpoint's cursor. An event is POSTed alone, signed:

    X-Bodega-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>

(the receiver recomputes it and should refuse a timestamp older than a few minutes: a replay).
A 2xx answer is delivery. Anything else (or no answer in TIMEOUT_S) keeps the event in
`erp_deliveries` as pending with its next try after 2, 4, 8 ... seconds (at most an hour); the
events after it with the same key wait behind it (pending, not sent), so the receiver never sees
an order's "delivered" before its "shipped". After MAX_ATTEMPTS tries the event is dead: it stops
blocking its key (later events flow again) and waits in the dead-letter list for a person to
retry it. The cursor moves only in the same write as the pending rows, after the sends: a crash in
between sends again (at least once; receivers dedupe by X-Bodega-Event-Id)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec
import structlog
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from server.db.bulk import in_values
from server.erp.models import ErpDelivery, ErpEndpoint, ErpEvent
from server.jobs import ClaimedJob, JobContext, enqueue, register

log = structlog.get_logger("bodega.erp")
JOB = "erp.deliver"
MAX_ATTEMPTS = 8
BATCH = 200
IDLE_S = 5.0  # how soon an idle endpoint looks for new events again
TIMEOUT_S = 10.0
BACKOFF_BASE_S = 2.0
BACKOFF_MAX_S = 3600.0


def backoff_s(attempts: int) -> float:
    return min(BACKOFF_BASE_S * 2 ** (attempts - 1), BACKOFF_MAX_S)


def sign(secret: str, body: bytes, ts: int) -> str:
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def verify(secret: str, body: bytes, header: str, now_ts: int, tolerance_s: int = 300) -> bool:
    """What a receiver does (and the tests): recompute, compare in constant time, check age."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        ts = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now_ts - ts) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, body, ts), header)


def event_json(row: Any) -> dict[str, Any]:
    return {
        "seq": int(row.seq),
        "id": str(row.id),
        "type": row.type,
        "occurred_at": row.occurred_at.isoformat(),
        "order_id": str(row.order_id) if row.order_id else None,
        "key": row.key,
        "data": row.data,
    }


def ask_delivery(conn: Connection, endpoint_id: uuid.UUID, now: datetime) -> None:
    """The endpoint's job, due now (a new endpoint, a dead letter retried)."""
    enqueue(conn, JOB, str(endpoint_id), {}, run_at=now, rearm=True, max_attempts=1000)


@dataclass
class Round:
    """What one run read: the endpoint, its owed events by key, and the new events."""

    endpoint: Any
    pending: dict[str, list[Any]] = field(default_factory=dict[str, list[Any]])
    events: dict[int, Any] = field(default_factory=dict[int, Any])
    new: list[Any] = field(default_factory=list[Any])


def _read(conn: Connection, endpoint_id: uuid.UUID) -> Round | None:
    ep = conn.execute(select(ErpEndpoint.__table__).where(ErpEndpoint.id == endpoint_id)).first()
    if ep is None:
        return None
    r = Round(ep)
    rows = conn.execute(
        select(ErpDelivery.__table__)
        .where(ErpDelivery.endpoint_id == endpoint_id, ErpDelivery.state == "pending")
        .order_by(ErpDelivery.seq)
        .limit(BATCH * 5)
    ).all()
    by_key: dict[str, list[Any]] = defaultdict(list)
    for d in rows:
        by_key[d.key].append(d)
    r.pending = dict(by_key)
    seqs = [d.seq for ds in by_key.values() for d in ds]
    if seqs:
        for e in conn.execute(select(ErpEvent.__table__).where(in_values(conn, ErpEvent.seq, seqs))).all():
            r.events[e.seq] = e
    r.new = list(
        conn.execute(
            select(ErpEvent.__table__)
            .where(ErpEvent.seq > r.endpoint.cursor)
            .order_by(ErpEvent.seq)
            .limit(BATCH)
        ).all()
    )
    return r


@dataclass(frozen=True)
class Failure:
    """A send that failed: the delivery row, its tries so far (this one included), why, when."""

    id: int
    attempts: int
    error: str
    at: datetime


@dataclass
class Outcome:
    cursor: int
    delivered: list[int] = field(default_factory=list[int])  # erp_deliveries ids done
    failed: list[Failure] = field(default_factory=list[Failure])
    added: list[dict[str, Any]] = field(default_factory=list[dict[str, Any]])  # new pending rows


def give_up(conn: Connection, delivery_id: int, error: str, at: datetime) -> None:
    """Dead-letter a delivery: it stops holding back its key and waits in the dead-letter list
    for a person to retry it. The one writer of a dead letter (the job after the last try)."""
    conn.execute(
        update(ErpDelivery)
        .where(ErpDelivery.id == delivery_id)
        .values(state="dead", attempts=MAX_ATTEMPTS, last_error=error[:500], last_attempt_at=at, next_at=at)
    )


def _try_again(conn: Connection, f: Failure) -> None:
    conn.execute(
        update(ErpDelivery)
        .where(ErpDelivery.id == f.id)
        .values(
            state="pending",
            attempts=f.attempts,
            last_error=f.error,
            last_attempt_at=f.at,
            next_at=f.at + timedelta(seconds=backoff_s(f.attempts)),
        )
    )


def _save(conn: Connection, endpoint_id: uuid.UUID, out: Outcome) -> None:
    if out.delivered:
        conn.execute(delete(ErpDelivery).where(ErpDelivery.id.in_(out.delivered)))
    for f in out.failed:
        if f.attempts >= MAX_ATTEMPTS:
            give_up(conn, f.id, f.error, f.at)
        else:
            _try_again(conn, f)
    if out.added:
        # A second run of the same endpoint (a lease that expired under a slow send) may have
        # noted the same event: the first note stands.
        insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(insert(ErpDelivery).values(out.added).on_conflict_do_nothing())
    conn.execute(
        update(ErpEndpoint)
        .where(ErpEndpoint.id == endpoint_id, ErpEndpoint.cursor < out.cursor)
        .values(cursor=out.cursor)
    )


async def _send(client: httpx.AsyncClient, ep: Any, event: Any, now: datetime) -> str:
    """'' when delivered, else why not."""
    body = msgspec.json.encode(event_json(event))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Bodega-ERP-Feed/1",
        "X-Bodega-Event": event.type,
        "X-Bodega-Event-Id": str(event.id),
        "X-Bodega-Signature": sign(ep.secret, body, int(now.timestamp())),
    }
    try:
        response = await client.post(ep.url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return ""
    return f"HTTP {response.status_code}: {response.text[:200]}"


async def deliver(ctx: JobContext, job: ClaimedJob) -> float | None:
    endpoint_id = uuid.UUID(job.key)
    r = await ctx.db.run_read(_read, endpoint_id)
    if r is None:
        return None  # the endpoint was deleted
    ep = r.endpoint
    if not ep.active:
        return IDLE_S * 12
    now = ctx.now()
    out = Outcome(cursor=ep.cursor)
    blocked: set[str] = set()
    wake: list[datetime] = []  # when each blocked key's first owed event is due again
    transport = ctx.services.get("erp_transport")
    async with httpx.AsyncClient(timeout=TIMEOUT_S, transport=transport) as client:
        # 1. What is owed, key by key, oldest first: stop at the first that is not due or fails.
        for key, rows in r.pending.items():
            for d in rows:
                event = r.events.get(d.seq)
                if d.next_at > now or event is None:
                    blocked.add(key)
                    wake.append(d.next_at)
                    break
                error = await _send(client, ep, event, now)
                if not error:
                    out.delivered.append(d.id)
                    continue
                attempts = d.attempts + 1
                out.failed.append(Failure(d.id, attempts, error, now))
                if attempts >= MAX_ATTEMPTS:
                    log.error("erp_dead_letter", endpoint=ep.name, seq=d.seq, error=error[:200])
                    continue  # a dead event stops holding back the ones after it
                blocked.add(key)
                wake.append(now + timedelta(seconds=backoff_s(attempts)))
                break
        # 2. New events: sent unless filtered out or waiting behind an owed one of their key.
        for event in r.new:
            out.cursor = event.seq
            if ep.types and event.type not in ep.types:
                continue
            row = {
                "endpoint_id": endpoint_id,
                "seq": event.seq,
                "key": event.key,
                "state": "pending",
                "attempts": 0,
                "next_at": now,
                "last_error": "",
                "last_attempt_at": None,
            }
            if event.key in blocked:
                out.added.append(row)
                continue
            error = await _send(client, ep, event, now)
            if error:
                again = now + timedelta(seconds=backoff_s(1))
                row.update(attempts=1, last_error=error, last_attempt_at=now, next_at=again)
                out.added.append(row)
                blocked.add(event.key)
                wake.append(again)
    await ctx.db.run_write(_save, endpoint_id, out)
    if len(r.new) == BATCH:
        return 0.0  # more waiting
    if wake:
        return max(0.5, min(IDLE_S, (min(wake) - now).total_seconds()))
    return IDLE_S


register(JOB, deliver)

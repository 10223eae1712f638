"""Exceptions reach the right phones: web push listens to the alerts' notification round
(server/alerts/notify.py), which decides who must be told and when (assignee or the seller's
list, escalation, quiet hours, throttle), and sends one encrypted notification to each of their
subscriptions.

Durability: the round marks an exception told only after its listeners returned, so a server
that dies mid-send tells again on restart (Topic and tag make the repeat replace, not add). A push
service that answers 429/5xx gets a `push.retry` job per subscription (server/jobs), retried with
back-off or after the Retry-After it named, and kept across restarts.

What is pushed: a raised exception and an escalated one (the next person down the chain hears
of it); an assignment, to the assignee. Once someone acknowledges, takes or resolves it, the
others who may hold its notification get a "settled" message with the same Topic (so the push
service drops a raise still waiting for an offline phone) and the same tag: the service worker
closes that notification instead of showing anything (pwa/src/sw.js).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio.to_thread
import structlog
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.alerts.notify import ExceptionEvent, on_exception_changed, on_exception_raised, remove_listener
from server.auth.models import Device, User
from server.db import Database
from server.db.base import utcnow
from server.exceptions.models import ExceptionRecord
from server.jobs import ClaimedJob, JobContext, Retry, enqueue, register
from server.jobs.queue import backoff_s
from server.push import subscriptions
from server.push.delivery import Message, Outcome, Sender, Target
from server.push.keys import Vapid, ensure_vapid
from server.push.models import PushSubscription

log = structlog.get_logger("bodega.push")

RETRY_JOB = "push.retry"
DEFAULT_CONTACT = "mailto:alerts@bodega.example"
PUSHED = ("raised", "escalated", "assigned")
# How soon the push service must hand it over (RFC 8030 Urgency): a phone in battery saving
# wakes for high only.
URGENCY = {"critical": "high", "warning": "high", "info": "normal"}
TTL_S = 24 * 3600  # a phone off for a day still gets it when it comes back


def message_for(event: ExceptionEvent) -> Message:
    title = event.kind.replace("_", " ").capitalize()
    if event.order and len(event.order) <= 24:  # a shop's order number; not an internal id
        title = f"{title} · {event.order}"
    if event.event == "escalated":
        title = f"Walang sumagot pa · {title}"  # nobody acknowledged: it came down the chain
    elif event.event == "assigned":
        title = f"Sa iyo na · {title}"  # it is yours now
    return Message(
        payload={
            "title": title[:120],
            "body": event.message[:240],
            "url": f"/exceptions/{event.id}",
            "tag": event.id.hex,
            "exception": str(event.id),
            "severity": event.severity,
        },
        topic=event.id.hex,  # 32 characters of the URL-safe alphabet, as RFC 8030 asks
        urgency=URGENCY.get(event.severity, "high"),
        ttl_s=TTL_S,
    )


SETTLED_BY = {"acknowledged": "Nakita na ni {}", "assigned": "Hawak na ni {}", "resolved": "Naayos na ni {}"}


def settled_message(event: ExceptionEvent) -> Message:
    """Take the exception's notification away: someone else has it (same Topic and tag)."""
    by = event.by or "iba"
    return Message(
        payload={
            "close": True,
            "tag": event.id.hex,
            "exception": str(event.id),
            "event": event.event,
            "body": SETTLED_BY.get(event.event, "{}").format(by)[:240],
        },
        topic=event.id.hex,
        urgency="normal",  # nothing to wake a phone for; it arrives with the next wake-up
        ttl_s=TTL_S,
    )


def targets_for(conn: Connection, usernames: list[str]) -> list[Target]:
    """The live subscriptions of these people (a device revoked meanwhile is skipped; its rows go
    with the revocation)."""
    if not usernames:
        return []
    rows = conn.execute(
        select(PushSubscription.id, PushSubscription.endpoint, PushSubscription.p256dh, PushSubscription.auth)
        .join(User, User.id == PushSubscription.user_id)
        .join(Device, Device.id == PushSubscription.device_id)
        .where(User.username.in_(usernames), User.active.is_(True), Device.revoked_at.is_(None))
        .order_by(PushSubscription.id)
    ).all()
    return [Target(r[0], r[1], r[2], r[3]) for r in rows]


def _message_doc(message: Message) -> dict[str, Any]:
    return {
        "payload": message.payload,
        "topic": message.topic,
        "urgency": message.urgency,
        "ttl_s": message.ttl_s,
    }


def record_outcome(
    conn: Connection,
    exception_id: uuid.UUID,
    message: dict[str, Any],
    sent: list[uuid.UUID],
    gone: list[uuid.UUID],
    retry: list[tuple[uuid.UUID, float | None]],
    now: datetime,
) -> None:
    """After a send: note who got it, drop what the push service says is gone, ask for retries."""
    subscriptions.mark_sent(conn, sent)
    subscriptions.gone(conn, gone)
    for sub_id, after in retry:
        enqueue(
            conn,
            RETRY_JOB,
            f"{exception_id}:{sub_id}",
            {"exception": str(exception_id), "subscription": str(sub_id), "message": message},
            run_at=now + timedelta(seconds=after if after is not None else backoff_s(1)),
            rearm=True,  # a newer alert about it replaces the one waiting (same Topic)
        )


class PushService:
    """The process's sender, made once the VAPID key pair has been read (or made) from the database,
    and the round's listener while `listen()` is on."""

    def __init__(self, db: Database, contact: str = DEFAULT_CONTACT, *, clock: Any = utcnow) -> None:
        self.db = db
        self.contact = contact
        self.clock = clock
        self._sender: Sender | None = None

    async def vapid(self) -> Vapid:
        if self._sender is not None:
            return self._sender.vapid
        return await self.db.run_write(ensure_vapid)

    async def sender(self) -> Sender:
        if self._sender is None:
            self._sender = Sender(await self.vapid(), self.contact)
        return self._sender

    def listen(self) -> None:
        on_exception_raised(self.heard, db=self.db)
        on_exception_changed(self.heard, db=self.db)

    def close(self) -> None:
        remove_listener(self.heard)
        if self._sender is not None:
            self._sender.close()

    async def heard(self, event: ExceptionEvent) -> None:
        if event.event in PUSHED and event.recipients:
            await self.push(event.id, message_for(event), event.recipients)
        if event.settle:
            await self.push(event.id, settled_message(event), event.settle)

    async def push(self, exception_id: uuid.UUID, message: Message, usernames: list[str]) -> Outcome:
        """Send one message to every subscription of these people (the sending in threads)."""
        targets = await self.db.run_read(targets_for, usernames)
        if not targets:
            return Outcome()
        sender = await self.sender()
        outcome = await anyio.to_thread.run_sync(sender.send_all, targets, message)
        await self.db.run_write(
            record_outcome,
            exception_id,
            _message_doc(message),
            outcome.sent,
            outcome.gone,
            outcome.retry,
            self.clock(),
        )
        if outcome.failed:
            log.warning("push_failed", exception=str(exception_id), count=len(outcome.failed))
        return outcome


@dataclass(frozen=True)
class _Retry:
    open: bool
    target: Target | None


def _retry_target(conn: Connection, exception_id: uuid.UUID, subscription_id: uuid.UUID) -> _Retry:
    status = conn.execute(select(ExceptionRecord.status).where(ExceptionRecord.id == exception_id)).scalar()
    row = conn.execute(
        select(PushSubscription.id, PushSubscription.endpoint, PushSubscription.p256dh, PushSubscription.auth)
        .join(Device, Device.id == PushSubscription.device_id)
        .where(PushSubscription.id == subscription_id, Device.revoked_at.is_(None))
    ).first()
    return _Retry(status == "open", Target(row[0], row[1], row[2], row[3]) if row else None)


def _service(ctx: JobContext) -> PushService:
    service = ctx.services.get("push")
    if service is None:
        service = ctx.services["push"] = PushService(ctx.db)
    return service


async def push_retry(ctx: JobContext, job: ClaimedJob) -> None:
    """One subscription whose push service was busy: send the same message again."""
    exception_id = uuid.UUID(job.payload["exception"])
    found = await ctx.db.run_read(_retry_target, exception_id, uuid.UUID(job.payload["subscription"]))
    doc = job.payload["message"]
    closes = bool(doc["payload"].get("close"))
    if found.target is None or not (found.open or closes):
        return  # the subscription is gone, or the exception was settled meanwhile (that is sent)
    message = Message(doc["payload"], doc["topic"], doc["urgency"], int(doc["ttl_s"]))
    sender = await _service(ctx).sender()
    what, after = await anyio.to_thread.run_sync(sender.send_one, found.target, message)
    if what == "retry":
        # The original send was the first try; back off from there (or as the service asked).
        raise Retry(after if after is not None else backoff_s(job.attempts + 1), "push service busy")
    if what == "gone":
        await ctx.db.run_write(subscriptions.gone, [found.target.id])
    elif what == "sent":
        await ctx.db.run_write(subscriptions.mark_sent, [found.target.id])


register(RETRY_JOB, push_retry)

"""Who hears of an exception, and when: the notification round, escalation, quiet hours, throttle.

The round (a durable job, jobs.py) runs after any transaction raised or changed an exception
(raising.ask_to_notify) and finds every exception changed since it was last told; for each it
works out the people (`who_to_notify`) and calls the listeners: web push and the live stream
connect here (`on_exception_raised`, `on_exception_changed`). A listener is called after the
change committed, at least once: a crash between the call and the mark tells again.

- First told: the assignee if there is one, else the settings' `notify` list, else every active
  supervisor.
- Escalation: an exception not acknowledged within `escalate_after_minutes` goes one step down
  `escalate_to` (level 1 adds the first name, level 2 the second ...); `escalate` is run with
  the rules. Info-level exceptions never escalate.
- Quiet hours (Manila time): nobody is pushed except for critical exceptions; the others wait
  for the end of the quiet hours (the round comes back then).
- Throttle: an exception changed again within `throttle_minutes` of its last push waits (an
  escalation, an acknowledgement, an assignment and a resolution do not).
- Settled elsewhere: once someone acknowledges, is assigned or resolves it, the people who may
  still hold its notification (`settle`) are told so, and their phones take it away; an assignee
  is told it is theirs now (unless they took it themselves).
- A round tells its events a few at a time (`TELL_AT_ONCE`), newest first: a new alert is not
  queued behind a backlog (the rules' first pass on a big seller raises hundreds at once).
"""

from __future__ import annotations

import asyncio
import inspect
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Connection

from server.alerts.settings import AlertSettings, quiet_window, read_settings
from server.auth.models import User
from server.changes.scopes import order_ref
from server.db.touched import touched
from server.exceptions.models import ExceptionRecord
from server.exceptions.raising import ask_to_notify

MANILA = ZoneInfo("Asia/Manila")
ROUND = 500  # exceptions per notification round; the round comes back at once for more
TELL_AT_ONCE = 8  # events told concurrently (each sends through the push service's threads)

EventName = Literal["raised", "changed", "escalated", "acknowledged", "assigned", "resolved"]
# The events that take a notification off the phones of those who are no longer the ones to act.
SETTLING: tuple[EventName, ...] = ("acknowledged", "assigned", "resolved")


@dataclass(frozen=True)
class ExceptionEvent:
    """What a listener hears: the exception as it is now, the change, and who must be told."""

    id: uuid.UUID
    event: EventName
    kind: str
    severity: str
    message: str
    status: str
    order: str
    subject_kind: str
    subject_id: str
    level: int
    recipients: list[str]  # usernames to push to (empty in quiet hours, or once settled)
    at: datetime  # when it changed
    # Usernames who may still hold a notification of it that is now handled by someone else
    # (acknowledged, assigned, resolved), and that someone ("" if not known).
    settle: list[str] = field(default_factory=list[str])
    by: str = ""


Listener = Callable[[ExceptionEvent], Awaitable[None] | None]
# Each listener with the database it serves (None: any). A process can hold more than one app (the
# tests do, one after another or side by side): a round run by one app's worker must call only its
# own app's listeners, never another's, whose connections belong to another event loop.
_raised: list[tuple[Listener, object | None]] = []
_changed: list[tuple[Listener, object | None]] = []


def on_exception_raised(fn: Listener, *, db: object | None = None) -> Listener:
    """Call `fn` for every new exception (usable as a decorator); with `db`, only for rounds run on
    that database."""
    _raised.append((fn, db))
    return fn


def on_exception_changed(fn: Listener, *, db: object | None = None) -> Listener:
    """Call `fn` for every change: acknowledged, assigned, escalated, resolved."""
    _changed.append((fn, db))
    return fn


def remove_listener(fn: Listener) -> None:
    for group in (_raised, _changed):
        group[:] = [(f, d) for f, d in group if f != fn]


async def tell(event: ExceptionEvent, db: object | None = None) -> None:
    """Call the listeners of this event that serve `db` (the round's database) or any."""
    for fn, serves in list(_raised if event.event == "raised" else _changed):
        if serves is not None and serves is not db:
            continue
        result = fn(event)
        if inspect.isawaitable(result):
            await result


async def tell_all(events: list[ExceptionEvent], db: object | None = None) -> None:
    """Tell a round's events, `TELL_AT_ONCE` at a time (a failure fails the round, which is told
    again: listeners are called at least once)."""
    gate = asyncio.Semaphore(TELL_AT_ONCE)

    async def one(event: ExceptionEvent) -> None:
        async with gate:
            await tell(event, db)

    async with asyncio.TaskGroup() as group:
        for event in events:
            group.create_task(one(event))


def in_quiet_hours(settings: AlertSettings, now: datetime) -> bool:
    window = quiet_window(settings)
    if window is None:
        return False
    start, end = window
    local = now.astimezone(MANILA).time()
    return start <= local < end if start < end else local >= start or local < end


def quiet_ends(settings: AlertSettings, now: datetime) -> datetime:
    window = quiet_window(settings)
    assert window is not None
    local = now.astimezone(MANILA)
    end = local.replace(hour=window[1].hour, minute=window[1].minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    return end.astimezone(now.tzinfo)


def _supervisors(conn: Connection) -> list[str]:
    return list(
        conn.execute(
            select(User.username)
            .where(User.role == "supervisor", User.active.is_(True))
            .order_by(User.username)
        ).scalars()
    )


def who_to_notify(
    conn: Connection, exception: Mapping[str, Any], now: datetime, settings: AlertSettings | None = None
) -> list[str]:
    """The usernames to push to about this exception now (a row or dict with severity,
    assigned_to, escalation_level, status); [] in quiet hours unless it is critical."""
    s = settings or read_settings(conn)
    if exception.get("severity") != "critical" and in_quiet_hours(s, now):
        return []
    return _people(exception, s, lambda: _supervisors(conn))


def _people(
    exception: Mapping[str, Any], s: AlertSettings, supervisors: Callable[[], list[str]]
) -> list[str]:
    if exception.get("status") == "resolved":
        return []
    assigned = exception.get("assigned_to")
    people = [str(assigned)] if assigned else (list(s.notify) or supervisors())
    people += s.escalate_to[: int(exception.get("escalation_level") or 0)]
    return list(dict.fromkeys(people))


def _may_hold_it(
    exception: Mapping[str, Any], s: AlertSettings, supervisors: Callable[[], list[str]]
) -> list[str]:
    """Everyone who may have been pushed this exception: those first told, the escalation chain
    as far as it went, and the assignee."""
    people = [*(s.notify or supervisors()), *s.escalate_to[: int(exception.get("escalation_level") or 0)]]
    if exception.get("assigned_to"):
        people.append(str(exception["assigned_to"]))
    return list(dict.fromkeys(people))


def _settled_event(r: Any, last: datetime) -> EventName:
    """What happened to an open exception told before: assigned, acknowledged, or another change."""
    if r.assigned_to:
        return "assigned"  # only an assignment changes an assigned exception (it is acknowledged)
    if r.acknowledged_at is not None and r.acknowledged_at > last:
        return "acknowledged"
    return "changed"


def _actor_name(actor: str | None) -> str:
    return (actor or "").removeprefix("user:")


def escalate(conn: Connection, now: datetime, settings: AlertSettings | None = None) -> list[uuid.UUID]:
    """One step down the escalation chain for each open, unacknowledged, not-info exception left
    alone for `escalate_after_minutes` since it was raised or last escalated."""
    s = settings or read_settings(conn)
    if not s.escalate_to:
        return []
    e = ExceptionRecord
    due = now - timedelta(minutes=s.escalate_after_minutes)
    ids = list(
        conn.execute(
            select(e.id).where(
                e.status == "open",
                e.acknowledged_at.is_(None),
                e.severity != "info",
                e.escalation_level < len(s.escalate_to),
                func.coalesce(e.escalated_at, e.created_at) <= due,
            )
        ).scalars()
    )
    if not ids:
        return []
    conn.execute(
        update(e)
        .where(e.id.in_(ids))
        .values(escalation_level=e.escalation_level + 1, escalated_at=now, updated_at=now)
    )
    touched(conn).exceptions.update(ids)  # the phones show the level
    ask_to_notify(conn)
    return ids


@dataclass
class Round:
    events: list[ExceptionEvent] = field(default_factory=list[ExceptionEvent])
    seen: list[tuple[uuid.UUID, datetime]] = field(default_factory=list[tuple[uuid.UUID, datetime]])
    again_at: datetime | None = None  # some wait (quiet hours, throttle): come back then
    more: bool = False  # a full round: come back at once


def pending(conn: Connection, now: datetime) -> Round:
    """Exceptions changed since they were last told, as events (read only)."""
    s = read_settings(conn)
    e = ExceptionRecord
    rows = conn.execute(
        select(e)
        .where(
            e.updated_at.is_not(None), or_(e.last_notified_at.is_(None), e.updated_at > e.last_notified_at)
        )
        .order_by(e.updated_at.desc())  # newest first: a backlog never holds back a new alert
        .limit(ROUND)
    ).all()
    out = Round(more=len(rows) == ROUND)
    quiet = in_quiet_hours(s, now)
    throttle = timedelta(minutes=s.throttle_minutes)
    supervisors: list[list[str]] = []  # read once per round, when first needed

    def everyone() -> list[str]:
        return cached(supervisors, lambda: _supervisors(conn))

    for r in rows:
        assert r.updated_at is not None
        row = {c: getattr(r, c) for c in ("severity", "assigned_to", "escalation_level", "status")}
        last = r.last_notified_at
        if r.status == "resolved":
            event: EventName = "resolved"
        elif last is None:
            event = "raised"
        elif r.escalated_at is not None and r.escalated_at > last:
            event = "escalated"
        else:
            event = _settled_event(r, last)
        if event not in ("resolved", "acknowledged") and r.severity != "critical" and quiet:
            wake = quiet_ends(s, now)
            out.again_at = min(out.again_at or wake, wake)
            continue
        if event == "changed" and last is not None and now - last < throttle:
            wake = last + throttle
            out.again_at = min(out.again_at or wake, wake)
            continue
        people, settle, by = _people(row, s, everyone), list[str](), ""
        if event in SETTLING and last is not None:
            settle = _may_hold_it(row, s, everyone)
            people = []
            if event == "assigned":
                by = r.assigned_to
                settle = [p for p in settle if p != by]
                if _actor_name(r.acknowledged_by) != by:  # who took it themselves needs no push
                    people = [by]
            else:
                by = _actor_name(r.resolved_by if event == "resolved" else r.acknowledged_by)
        details = r.details or {}
        order = str(details.get("order") or (order_ref(r.order_id) if r.order_id else ""))
        out.events.append(
            ExceptionEvent(
                r.id,
                event,
                r.kind,
                r.severity,
                r.message,
                r.status,
                order,
                r.subject_kind or "",
                r.subject_id or "",
                r.escalation_level,
                people,
                r.updated_at,
                settle,
                by,
            )
        )
        out.seen.append((r.id, r.updated_at))
    return out


def cached(box: list[list[str]], read: Callable[[], list[str]]) -> list[str]:
    if not box:
        box.append(read())
    return box[0]


def mark_told(conn: Connection, seen: list[tuple[uuid.UUID, datetime]], now: datetime) -> None:
    """Told: unless it changed again meanwhile (then the next round tells that too)."""
    e = ExceptionRecord
    for exception_id, changed in seen:
        conn.execute(
            update(e)
            .where(and_(e.id == exception_id, e.updated_at == changed))
            .values(last_notified_at=max(now, changed))
        )

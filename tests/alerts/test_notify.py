"""Who is told, and when: the notification round on the durable job queue with a test clock, an
escalation after nobody acknowledged, quiet hours, throttle. The clock runs from the real time
forward (the job queue stamps what it enqueues with the real time)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Connection

from server.alerts.jobs import EVALUATE, notify_round, run_rules, wake_on_exceptions
from server.alerts.notify import (
    MANILA,
    ExceptionEvent,
    escalate,
    on_exception_changed,
    on_exception_raised,
    remove_listener,
    who_to_notify,
)
from server.alerts.settings import AlertSettings, write_settings
from server.db import Database
from server.db.base import utcnow
from server.exceptions import raising
from server.exceptions.raising import NOTIFY_JOB, exception_row, raise_exceptions
from server.exceptions.services import acknowledge
from server.jobs import Worker, enqueue
from tests.alerts.kit import write
from tests.conftest import add_users, run
from tests.kit.sync import seed


class Clock:
    def __init__(self) -> None:
        # A little ahead: what the code under test enqueues at the real time is due at once.
        self.now = utcnow().replace(microsecond=0) + timedelta(seconds=5)

    def __call__(self) -> datetime:
        return self.now

    def add(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


def _raise(conn: Connection, kind: str, severity: str, at: datetime) -> uuid.UUID:
    row = exception_row(kind, f"{kind} test", now=at, subject=("shop", kind), severity=severity, dedupe=True)  # type: ignore[arg-type]
    return raise_exceptions(conn, [row])[0]


def _ack(conn: Connection, exception_id: uuid.UUID, at: datetime) -> None:
    acknowledge(conn, exception_id, "user:sup", at)


def _escalate(conn: Connection, at: datetime) -> list[uuid.UUID]:
    return escalate(conn, at)


def _who(conn: Connection, exception_id: uuid.UUID, at: datetime) -> list[str]:
    from sqlalchemy import select

    from server.exceptions.models import ExceptionRecord

    row = conn.execute(select(ExceptionRecord).where(ExceptionRecord.id == exception_id)).one()
    return who_to_notify(conn, dict(row._mapping), at)


def _boss(conn: Connection) -> None:
    add_users(conn, [("boss", "boss-password", "admin", None)])


def _rounds(url: str, clock: Clock, handlers: dict[str, Any]) -> list[tuple[Any, str]]:
    async def go() -> list[tuple[Any, str]]:
        db = Database(url)
        try:
            return await Worker(db, handlers, clock=clock).run_once()
        finally:
            await db.dispose()

    return run(go())


def test_told_once_then_escalated_when_nobody_acknowledges(database_url: str) -> None:
    seed(database_url, orders=0)
    write(database_url, _boss)
    write(
        database_url,
        write_settings,
        AlertSettings(escalate_to=["boss"], escalate_after_minutes=30),
        "user:admin",
    )
    heard: list[ExceptionEvent] = []
    on_exception_raised(heard.append)
    on_exception_changed(heard.append)
    try:
        clock = Clock()
        eid = write(database_url, _raise, "remittance_short", "critical", clock.now)
        _rounds(database_url, clock, {NOTIFY_JOB: notify_round})
        assert [(e.id, e.event, e.recipients) for e in heard] == [(eid, "raised", ["sup"])]
        assert _rounds(database_url, clock, {NOTIFY_JOB: notify_round}) == []  # nothing new: no job due

        assert write(database_url, _escalate, clock.add(minutes=10)) == []
        assert write(database_url, _escalate, clock.add(minutes=21)) == [eid]
        assert write(database_url, _who, eid, clock.now) == ["sup", "boss"]
        _rounds(database_url, clock, {NOTIFY_JOB: notify_round})
        assert [(e.event, e.level, e.recipients) for e in heard[1:]] == [("escalated", 1, ["sup", "boss"])]
        # The chain has one person: no level 2, however long it waits.
        assert write(database_url, _escalate, clock.add(minutes=60)) == []

        # Acknowledged: told at once (no throttle), to take it off the phones of everyone it
        # reached; nobody is pushed anew, and it never escalates again.
        write(database_url, _ack, eid, clock.add(minutes=1))
        _rounds(database_url, clock, {NOTIFY_JOB: notify_round})
        assert [(e.event, e.recipients, e.settle, e.by) for e in heard[2:]] == [
            ("acknowledged", [], ["sup", "boss"], "sup")
        ]
        assert write(database_url, _escalate, clock.add(minutes=60)) == []
    finally:
        remove_listener(heard.append)


def test_escalation_runs_with_the_rules_job(database_url: str) -> None:
    seed(database_url, orders=0)
    write(database_url, _boss)
    write(
        database_url,
        write_settings,
        AlertSettings(escalate_to=["boss"], escalate_after_minutes=5),
        "user:admin",
    )
    clock = Clock()
    eid = write(database_url, _raise, "ledger_drift", "critical", clock.now)
    write(database_url, enqueue, EVALUATE, "all", None)
    clock.add(minutes=6)
    outcomes = _rounds(database_url, clock, {EVALUATE: run_rules})
    assert [(job.kind, outcome) for job, outcome in outcomes] == [(EVALUATE, "done")]
    assert write(database_url, _who, eid, clock.now) == ["sup", "boss"]


def test_quiet_hours_hold_all_but_critical_and_throttle_holds_repeats(database_url: str) -> None:
    seed(database_url, orders=0)
    clock = Clock()
    local = clock.now.astimezone(MANILA)
    start, end = (
        (local - timedelta(hours=1)).strftime("%H:%M"),
        (local + timedelta(hours=1)).strftime("%H:%M"),
    )
    write(database_url, write_settings, AlertSettings(quiet_hours=f"{start}-{end}"), "user:admin")
    heard: list[ExceptionEvent] = []
    on_exception_raised(heard.append)
    try:
        quiet = write(database_url, _raise, "low_stock", "warning", clock.now)
        loud = write(database_url, _raise, "ledger_drift", "critical", clock.now)
        assert write(database_url, _who, quiet, clock.now) == []
        assert write(database_url, _who, loud, clock.now) == ["sup"]
        outcomes = _rounds(database_url, clock, {NOTIFY_JOB: notify_round})
        assert [o for _, o in outcomes] == ["done"]
        assert [e.id for e in heard] == [loud]
        # The round comes back when the quiet hours end, and tells the rest then.
        assert _rounds(database_url, clock, {NOTIFY_JOB: notify_round}) == []
        clock.add(hours=1, minutes=1)
        _rounds(database_url, clock, {NOTIFY_JOB: notify_round})
        assert [e.id for e in heard] == [loud, quiet]
    finally:
        remove_listener(heard.append)


def _raise_three_counting(conn: Connection, at: datetime) -> int:
    """Three raises in one transaction (as ingestion holds several orders in one commit); answers
    how many statements touched the job table."""
    from sqlalchemy import event

    seen: list[str] = []

    def count(_c: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if "jobs" in statement.split("(")[0].lower():
            seen.append(statement)

    event.listen(conn, "before_cursor_execute", count)
    try:
        for kind in ("low_stock", "ledger_drift", "remittance_short"):
            _raise(conn, kind, "warning", at)
    finally:
        event.remove(conn, "before_cursor_execute", count)
    return len(seen)


def test_a_transaction_asks_for_the_round_once_and_a_burst_is_told_in_one_round(database_url: str) -> None:
    seed(database_url, orders=0)
    heard: list[ExceptionEvent] = []
    on_exception_raised(heard.append)
    try:
        clock = Clock()
        assert write(database_url, _raise_three_counting, clock.now) == 1
        newest = write(database_url, _raise, "device_silent", "warning", clock.add(seconds=1))
        outcomes = _rounds(database_url, clock, {NOTIFY_JOB: notify_round})
        assert [o for _, o in outcomes] == ["done"]
        # One round told all four, the newest first (a backlog never holds back a new alert).
        assert heard[0].id == newest
        assert sorted(e.kind for e in heard[1:]) == ["ledger_drift", "low_stock", "remittance_short"]
    finally:
        remove_listener(heard.append)


def test_the_worker_is_woken_at_commit_when_the_round_is_due_at_once(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """server/alerts/jobs.py wake_on_exceptions: a write that asked for the round pokes the worker
    once it commits if the round is due now (idle), not when the gap puts it off."""
    monkeypatch.setattr(raising, "NOTIFY_GAP_S", 30.0)  # a slow machine cannot outlast it
    seed(database_url, orders=0)

    class Pokes(Worker):
        count = 0

        def poke(self) -> None:
            self.count += 1

    async def go() -> None:
        db = Database(database_url)
        worker = Pokes(db, {NOTIFY_JOB: notify_round})
        wake_on_exceptions(db, worker)
        try:
            await db.run_write(_raise, "ledger_drift", "critical", utcnow())
            assert worker.count == 1  # idle: due at once
            assert [o for _, o in await worker.run_once()] == ["done"]
            await db.run_write(_raise, "low_stock", "warning", utcnow())
            assert worker.count == 1  # just ran: the gap puts it off, the worker's own look finds it
        finally:
            await db.dispose()

    run(go())

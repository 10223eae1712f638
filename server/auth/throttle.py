"""Login throttling, counted from LoginAttempt rows so every server process sees the same count.

A username or a client address is refused once it has `login_max_failures` failures within the
last `login_window_s` seconds. For a username, a successful login starts the count afresh (the
older rows stay, for the record); for an address it does not, because one valid account must not
let an attacker reset the counter while guessing the passwords of others.

Every attempt is recorded as a failure *before* it is judged and committed at once, then
counted. Concurrent guesses (several server processes, PostgreSQL READ COMMITTED) therefore see
each other, so a burst gets at most `login_max_failures` tries through, never one per process.
Refused attempts stay recorded as failures too: hammering a locked door keeps it locked.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.engine import Connection

from server.auth.models import LoginAttempt
from server.settings import Settings

# Column widths of LoginAttempt; longer values are cut so PostgreSQL does not reject the row.
_NAME_WIDTH = 64
_CLIENT_WIDTH = 64


def record_attempt(conn: Connection, username: str, client: str, at: datetime) -> int:
    """Record an attempt as failed (until mark_success says otherwise); returns its id.

    A transaction of its own (`run_write`), committed before retry_after counts, so concurrent
    attempts count it.
    """
    stmt = insert(LoginAttempt).values(
        username=username[:_NAME_WIDTH], client=client[:_CLIENT_WIDTH], ok=False, at=at
    )
    key = conn.execute(stmt).inserted_primary_key
    assert key is not None
    attempt_id: int = key[0]
    return attempt_id


def mark_success(conn: Connection, attempt_id: int) -> None:
    conn.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(ok=True))


def retry_after(
    conn: Connection, *, username: str, client: str, settings: Settings, now: datetime
) -> int | None:
    """Seconds until this username and address may try again, or None if the attempt may go ahead.

    Counts the attempt being judged (already recorded) with the earlier ones.
    """
    username, client = username[:_NAME_WIDTH], client[:_CLIENT_WIDTH]
    window_start = now - timedelta(seconds=settings.login_window_s)
    last_success = conn.scalar(
        select(func.max(LoginAttempt.at)).where(LoginAttempt.username == username, LoginAttempt.ok.is_(True))
    )
    name_since = window_start if last_success is None else max(window_start, last_success)
    waits = [
        _wait(conn, LoginAttempt.username == username, name_since, settings, now),
        _wait(
            conn,
            LoginAttempt.client == client,
            window_start,
            settings,
            now,
            settings.login_max_failures_per_client,
        ),
    ]
    return max((w for w in waits if w is not None), default=None)


def _wait(
    conn: Connection,
    who: ColumnElement[bool],
    since: datetime,
    settings: Settings,
    now: datetime,
    limit: int | None = None,
) -> int | None:
    limit = max(1, limit or settings.login_max_failures)
    # Only the newest limit+1 failures matter: the current attempt plus `limit` before it.
    stmt = (
        select(LoginAttempt.at)
        .where(who, LoginAttempt.ok.is_(False), LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .limit(limit + 1)
    )
    times = list(conn.scalars(stmt).all())
    if len(times) <= limit:
        return None
    # The next try is let through once only limit-1 failures remain in its window, that is
    # when the limit-th newest failure has aged out.
    frees_at = times[limit - 1] + timedelta(seconds=settings.login_window_s)
    return max(1, math.ceil((frees_at - now).total_seconds()))

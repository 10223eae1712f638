"""Old deletion tombstones leave the change log by age; a phone that slept longer than the retention
is told its cursor expired, one that synced within it still learns of every deletion."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import text

from server.db.base import utcnow
from server.sync_api.retention import tidy_log
from sync import StockPicked, StockReceived, SyncRequest
from tests.kit.sync import connect, op_for, post, pull, seed


def tombstones(url: str) -> int:
    with connect(url) as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM sync_changes WHERE val IS NULL")).scalar_one())


def tidy(url: str, days_ago: float, retention_days: int = 14) -> int:
    """Run the tidy-up as if it were `days_ago` days in the future of now."""
    with connect(url) as conn:
        dropped = tidy_log(conn, retention_days=retention_days, now=utcnow() + timedelta(days=days_ago))
        conn.commit()
        return dropped


def test_tombstones_older_than_the_retention_are_dropped_and_sleepers_reset(
    database_url: str, client: Any
) -> None:
    world = seed(database_url)
    wh = world.phones["wh1"]
    received = op_for(wh, 1, StockReceived(wh="W", bin="B1", sku="S1", qty=1))
    post(client, wh, SyncRequest(v=1, ops=[received], pull=False), endpoint="push")
    sleeper = pull(client, wh)  # this phone then goes quiet for weeks
    picked = op_for(wh, 2, StockPicked(wh="W", bin="B1", sku="S1", qty=1, order=world.order("O1")))
    post(client, wh, SyncRequest(v=1, ops=[picked], pull=False), endpoint="push")  # B1/S1 deleted
    assert tombstones(world.url) == 1

    assert tidy(world.url, 0) == 0  # day 0: the head is marked, nothing is old yet
    assert tidy(world.url, 0.01) == 0  # a quarter of an hour later: no new mark either
    with connect(world.url) as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM sync_log_marks")).scalar_one() == 1
    awake = pull(client, wh, sleeper.cur)  # a phone syncing inside the retention sees the deletion
    assert ("B1/S1", None) in {(c.key, c.val) for c in awake.ch}
    assert tidy(world.url, 13) == 0  # day 13: still kept
    assert tombstones(world.url) == 1

    assert tidy(world.url, 15) == 1  # day 15: older than 14 days, dropped
    assert tombstones(world.url) == 0
    expired = pull(client, wh, sleeper.cur)
    assert expired.reset is not None and expired.reset.why == "cursor_expired"
    fresh = pull(client, wh, awake.cur)  # the phone that synced after the deletion goes on normally
    assert fresh.reset is None
    with connect(world.url) as conn:
        marks = conn.execute(text("SELECT COUNT(*) FROM sync_log_marks")).scalar_one()
    assert marks == 3  # days 0 (the one the purge used), 13 and 15

"""Ship-by clocks, the priority score and the at-risk exception (server/orders/ship_by.py).

The rules are pure functions of the time given to them: the tests pass their own "now" (a fake
clock), never sleep, and the API tests use ship-by times far from the at-risk line either way.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.db import Database
from server.exceptions.models import ExceptionRecord
from server.orders.ship_by import (
    MANILA,
    MAX_SCORE,
    ChannelRule,
    PriorityRules,
    ShipByRules,
    WorkCalendar,
    deadline,
    raise_at_risk,
    score,
    ship_by_of,
)
from tests.kit.world import order_payload, seed_world


def manila(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=MANILA).astimezone(UTC)


WEEKDAYS = WorkCalendar()
RULE = ChannelRule(days=2, cutoff="15:00")


# -- the clock ------------------------------------------------------------------------------------


def test_before_the_cutoff_the_day_counts() -> None:
    # Tuesday 1 Dec 2026, 10:00 Manila: day 0 is Tuesday, ship by Thursday 15:00.
    assert deadline(manila(2026, 12, 1, 10), RULE, WEEKDAYS) == manila(2026, 12, 3, 15)


def test_after_the_cutoff_the_next_working_day_counts() -> None:
    assert deadline(manila(2026, 12, 1, 15, 1), RULE, WEEKDAYS) == manila(2026, 12, 4, 15)


def test_weekends_are_not_working_days() -> None:
    # Friday 13 Nov after the cut-off: day 0 is Monday 16, two working days later Wednesday 18.
    assert deadline(manila(2026, 11, 13, 16), RULE, WEEKDAYS) == manila(2026, 11, 18, 15)
    # Placed on Saturday: the same.
    assert deadline(manila(2026, 11, 14, 9), RULE, WEEKDAYS) == manila(2026, 11, 18, 15)
    # Six-day weeks when the seller says so: Saturday counts.
    six = WorkCalendar(weekdays=frozenset(range(6)))
    assert deadline(manila(2026, 11, 13, 16), RULE, six) == manila(2026, 11, 17, 15)


def test_philippine_holidays_are_not_working_days() -> None:
    # Friday 4 Dec after the cut-off: day 0 Monday 7; Tuesday 8 is the Immaculate Conception.
    assert deadline(manila(2026, 12, 4, 16), RULE, WEEKDAYS) == manila(2026, 12, 10, 15)
    # Tue 22 Dec 10:00: day 0 Tue 22, Wed 23, then Christmas Eve (24), Christmas (25) and the
    # weekend are holidays or closed: the second working day is Monday 28.
    assert deadline(manila(2026, 12, 22, 10), RULE, WEEKDAYS) == manila(2026, 12, 28, 15)
    # Rizal Day (30) and New Year's Eve (31) and Day (1 Jan): from Tue 29, 2 days is Mon 4 Jan.
    assert deadline(manila(2026, 12, 29, 10), RULE, WEEKDAYS) == manila(2027, 1, 5, 15)


def test_declared_closures_are_not_working_days() -> None:
    closed = WorkCalendar(closed=frozenset({date(2026, 12, 2)}))
    assert deadline(manila(2026, 12, 1, 10), RULE, closed) == manila(2026, 12, 4, 15)


def test_the_rule_is_the_channels_and_the_channels_own_deadline_wins() -> None:
    rules = ShipByRules(channels={"lazada": ChannelRule(days=1, cutoff="12:00")})
    placed = manila(2026, 12, 1, 11)
    assert ship_by_of(placed, "lazada", None, rules, WEEKDAYS) == manila(2026, 12, 2, 12)
    assert ship_by_of(placed, "shopee", None, rules, WEEKDAYS) == manila(2026, 12, 3, 15)  # default
    own = manila(2026, 12, 1, 18)
    assert ship_by_of(placed, "lazada", own, rules, WEEKDAYS) == own


def test_same_day_shipping_with_zero_days() -> None:
    assert deadline(manila(2026, 12, 1, 9), ChannelRule(days=0, cutoff="14:00"), WEEKDAYS) == manila(
        2026, 12, 1, 14
    )


# -- the priority score ---------------------------------------------------------------------------


def test_the_score_is_the_sum_of_its_visible_points() -> None:
    now = manila(2026, 12, 3, 10)
    s = score(
        now=now,
        ship_by=manila(2026, 12, 3, 15),
        placed_at=manila(2026, 12, 1, 9),
        channel="shopee",
        payment_method="prepaid",
        rules=PriorityRules(),
    )
    assert s.parts == [("base", 1000), ("time_left", -50), ("channel", 30), ("prepaid", 20), ("age", 10)]
    assert s.total == sum(p for _, p in s.parts) == 1010


def test_a_late_order_outranks_one_with_time_left_and_the_weights_are_the_sellers() -> None:
    now = manila(2026, 12, 3, 16)
    common: dict[str, Any] = {"now": now, "placed_at": manila(2026, 12, 3, 8), "channel": "webstore"}
    late = score(ship_by=manila(2026, 12, 3, 15), payment_method="cod", rules=PriorityRules(), **common)
    later = score(ship_by=manila(2026, 12, 4, 15), payment_method="cod", rules=PriorityRules(), **common)
    assert ("overdue", 500) in late.parts
    assert late.total > later.total
    cod_first = PriorityRules(cod=400, prepaid=0, per_hour_left=0, overdue=0)
    a = score(ship_by=manila(2026, 12, 3, 15), payment_method="prepaid", rules=cod_first, **common)
    b = score(ship_by=manila(2026, 12, 4, 15), payment_method="cod", rules=cod_first, **common)
    assert b.total > a.total


def test_an_order_centuries_away_scores_within_what_a_wave_stores() -> None:
    # Found by tests/edge/test_api_fuzz.py: a wave of orders placed in year 37 or due in 8789 wrote
    # a priority past PostgreSQL's 32-bit integer (a 500 on POST /api/v1/waves).
    now = manila(2026, 12, 3, 10)
    rules = PriorityRules(per_hour_left=-100_000, per_day_old=100_000)  # the heaviest weights allowed
    common: dict[str, Any] = {"now": now, "channel": "shopee", "payment_method": "cod", "rules": rules}
    far = score(ship_by=datetime(8789, 4, 4, tzinfo=UTC), placed_at=now, **common)
    old = score(ship_by=now, placed_at=datetime(37, 6, 18, tzinfo=UTC), **common)
    assert far.total == -MAX_SCORE and old.total == MAX_SCORE
    assert -(2**31) < far.total < old.total < 2**31
    assert sum(p for _, p in far.parts) < -MAX_SCORE  # the points stay as they are, for the reader


# -- rules, closures and the queue over the API, both databases -----------------------------------


def test_ship_by_and_priority_rules_are_read_and_changed_over_the_api(
    admin: Any, tokens: dict[str, str], client: Any
) -> None:
    assert admin.get("/api/v1/fulfilment/ship-by-rules").json()["default"] == {"days": 2, "cutoff": "15:00"}
    rules = {
        "default": {"days": 3, "cutoff": "14:00"},
        "channels": {"lazada": {"days": 1, "cutoff": "12:00"}},
    }
    answer = admin.put("/api/v1/fulfilment/ship-by-rules", json=rules)
    assert answer.status_code == 200, answer.text
    again = admin.get("/api/v1/fulfilment/ship-by-rules").json()
    assert again["channels"]["lazada"] == {"days": 1, "cutoff": "12:00"}
    assert again["working_weekdays"] == [0, 1, 2, 3, 4] and again["at_risk_minutes"] == 240
    assert admin.put("/api/v1/fulfilment/priority-rules", json={"cod": 99}).json()["cod"] == 99
    assert admin.get("/api/v1/fulfilment/priority-rules").json()["cod"] == 99


def test_a_bad_cutoff_is_refused_naming_the_field(admin: Any) -> None:
    answer = admin.put("/api/v1/fulfilment/ship-by-rules", json={"default": {"days": 2, "cutoff": "25:00"}})
    assert answer.status_code in (400, 422)
    assert "cutoff" in answer.text
    assert admin.get("/api/v1/fulfilment/ship-by-rules").json()["default"]["cutoff"] == "15:00"  # unchanged


def test_only_managers_change_the_rules(client: Any, tokens: dict[str, str]) -> None:
    from tests.conftest import auth

    answer = client.put(
        "/api/v1/fulfilment/priority-rules", json={"cod": 1}, headers=auth(tokens["warehouse"])
    )
    assert answer.status_code == 403


def test_a_declared_closure_moves_the_queues_ship_by(admin: Any, database_url: str) -> None:
    asyncio.run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))
    # Placed next Monday 10:00 Manila (a working day unless a holiday): no channel deadline.
    today = datetime.now(MANILA).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7) + timedelta(days=7)
    placed = datetime(monday.year, monday.month, monday.day, 10, tzinfo=MANILA)
    body = order_payload("C-1", [("CASE-BLK", 1)], placed_at=placed.isoformat(), ship_by=None)
    assert admin.post("/api/v1/orders", json=body).status_code == 201
    before = datetime.fromisoformat(admin.get("/api/v1/fulfilment/queue").json()[0]["ship_by"])
    closure = admin.post(
        "/api/v1/fulfilment/closures", json={"day": before.astimezone(MANILA).date().isoformat()}
    )
    assert closure.status_code == 201, closure.text
    item = admin.get("/api/v1/fulfilment/queue?warehouse=VAL").json()[0]
    assert datetime.fromisoformat(item["ship_by"]) > before  # one more working day
    assert item["points"][0] == ["base", 1000] and item["priority"] == sum(p for _, p in item["points"])
    listed = admin.get("/api/v1/fulfilment/closures").json()
    assert [c["day"] for c in listed] == [before.astimezone(MANILA).date().isoformat()]


# -- at risk --------------------------------------------------------------------------------------


def test_an_order_near_its_ship_by_raises_once_and_one_far_from_it_does_not(
    admin: Any, database_url: str
) -> None:
    asyncio.run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))
    now = datetime.now(UTC)
    near = order_payload("N-1", [("CASE-BLK", 1)], ship_by=(now + timedelta(hours=1)).isoformat())
    far = order_payload("F-1", [("CASE-BLK", 1)], ship_by=(now + timedelta(days=5)).isoformat())
    near_id = admin.post("/api/v1/orders", json=near).json()["id"]
    admin.post("/api/v1/orders", json=far)
    assert admin.post("/api/v1/fulfilment/at-risk").json() == {"raised": 1}
    assert admin.post("/api/v1/fulfilment/at-risk").json() == {"raised": 0}  # told once
    found = admin.get("/api/v1/exceptions?kind=ship_by_at_risk").json()["items"]
    assert [(e["kind"], e["order_id"]) for e in found] == [("ship_by_at_risk", near_id)]
    # Building waves checks too (the far order is not at risk: nothing new).
    assert admin.post("/api/v1/waves", json={"warehouse": "VAL"}).status_code == 201


def _check(conn: Connection, now: datetime) -> list[Any]:
    return list(raise_at_risk(conn, now))


def _kinds(conn: Connection) -> list[str]:
    return list(conn.execute(select(ExceptionRecord.kind)).scalars())


@pytest.mark.parametrize("hours_before", [5, 3])
def test_the_at_risk_line_is_the_sellers_minutes_before_the_ship_by(
    admin: Any, database_url: str, hours_before: int
) -> None:
    """With a fake clock: 5 hours before the ship-by is not at risk (240 minutes), 3 hours is."""
    asyncio.run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))
    due = datetime(2030, 3, 5, 7, 0, tzinfo=UTC)
    admin.post("/api/v1/orders", json=order_payload("R-1", [("CASE-BLK", 1)], ship_by=due.isoformat()))

    async def go() -> tuple[list[Any], list[str]]:
        db = Database(database_url)
        try:
            raised = await db.run_write(_check, due - timedelta(hours=hours_before))
            return raised, await db.run_read(_kinds)
        finally:
            await db.dispose()

    raised, kinds = asyncio.run(go())
    assert len(raised) == (1 if hours_before == 3 else 0)
    assert kinds.count("ship_by_at_risk") == len(raised)


def test_building_waves_raises_at_risk_for_the_orders_it_waves(admin: Any, database_url: str) -> None:
    asyncio.run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    order_id = admin.post(
        "/api/v1/orders", json=order_payload("W-1", [("CASE-BLK", 1)], ship_by=soon)
    ).json()["id"]
    assert admin.post("/api/v1/waves", json={"warehouse": "VAL"}).status_code == 201
    found = admin.get("/api/v1/exceptions?kind=ship_by_at_risk").json()["items"]
    assert [e["order_id"] for e in found] == [order_id]
    assert admin.post("/api/v1/fulfilment/at-risk").json() == {"raised": 0}  # already told

"""The story of each order after it lands: picked, packed, shipped, then delivered or sent back.

Every step gets a time in Manila's working day, and only steps that happened before "now" are
kept, so old orders come out delivered (or returned) and the last few days' are still moving,
which is what a real order book looks like on any given morning.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from server.demo.records import DemoWarehouse, LifecycleStep

# The Philippines has no daylight saving time, so a fixed offset is exact and needs no tz database.
MANILA = timezone(timedelta(hours=8), "Asia/Manila")
SUNDAY = 6
# Warehouse staff and courier pickups work 08:00-18:00, Monday to Saturday.
OPEN_HOUR, CLOSE_HOUR = 8, 18
# Couriers knock on doors from 09:00 to 19:00, Sundays included.
FIRST_DROP, LAST_DROP = 9, 19

CANCELLED_IN_WAREHOUSE = 0.03  # the buyer cancels before the parcel leaves
# Cash-on-delivery buyers refuse or can't be reached far more often than prepaid ones: RTS
# (return to sender) is the COD seller's biggest loss, commonly a tenth or more of COD parcels.
RETURNED = {"cod": 0.13, "prepaid": 0.02}
SECOND_ATTEMPT = {"cod": 0.06, "prepaid": 0.03}  # first attempt fails, the rider comes back


def add_working_days(moment: datetime, days: int) -> datetime:
    """The same clock time `days` working days later; Sundays don't count."""
    local = moment.astimezone(MANILA)
    while days:
        local += timedelta(days=1)
        if local.weekday() != SUNDAY:
            days -= 1
    return local.astimezone(moment.tzinfo)


def plan_lifecycle(
    placed_at: datetime,
    payment_method: str,
    region: str,
    warehouse: DemoWarehouse,
    now: datetime,
    rng: random.Random,
) -> tuple[LifecycleStep, ...]:
    steps: list[LifecycleStep] = []

    def step(status: str, at: datetime) -> datetime:
        at = at.replace(microsecond=0)  # whole seconds, like every channel's timestamps
        steps.append(LifecycleStep(status=status, at=at))
        return at

    at = step("allocated", placed_at + timedelta(minutes=rng.uniform(1, 15)))
    if rng.random() < CANCELLED_IN_WAREHOUSE:
        if rng.random() < 0.5:
            at = step("picking", _working(at + timedelta(hours=rng.uniform(0.3, 3)), rng))
        step("cancelled", at + timedelta(hours=rng.uniform(0.2, 5)))
        return _until(steps, now)

    at = step("picking", _working(at + timedelta(hours=rng.uniform(0.3, 3)), rng))
    at = step("packed", at + timedelta(minutes=rng.uniform(10, 60)))
    at = step("shipped", _working(at + timedelta(hours=rng.uniform(1, 6)), rng))  # courier pickup
    attempt = _some_time_on(at + timedelta(days=_transit_days(warehouse, region, rng)), rng)

    roll = rng.random()
    if roll < RETURNED.get(payment_method, 0.0):
        at = step("failed_delivery", attempt)
        if rng.random() < 0.5:  # one more try before giving up
            at = step("shipped", _next_morning(at, rng))
            at = step("failed_delivery", _some_time_on(at, rng))
        at = step("return_to_sender", at + timedelta(hours=rng.uniform(2, 30)))
        step("returned", _working(at + timedelta(days=_transit_days(warehouse, region, rng) + 1), rng))
    elif roll < RETURNED.get(payment_method, 0.0) + SECOND_ATTEMPT.get(payment_method, 0.0):
        at = step("failed_delivery", attempt)
        at = step("shipped", _next_morning(at, rng))
        step("delivered", _some_time_on(at, rng))
    else:
        step("delivered", attempt)
    return _until(steps, now)


def _until(steps: list[LifecycleStep], now: datetime) -> tuple[LifecycleStep, ...]:
    # Steps are in time order, so the story so far is a prefix.
    return tuple(s for s in steps if s.at <= now)


def _transit_days(warehouse: DemoWarehouse, region: str, rng: random.Random) -> int:
    if region == warehouse.region:
        return rng.randint(1, 2)
    if region in warehouse.serves_regions:
        return rng.randint(2, 4)
    return rng.randint(4, 8)  # across the sea from the other island group


def _working(moment: datetime, rng: random.Random) -> datetime:
    """The moment itself if the warehouse is open then, else shortly after it next opens."""
    return _within(moment, OPEN_HOUR, CLOSE_HOUR, rng, skip_sunday=True)


def _next_morning(moment: datetime, rng: random.Random) -> datetime:
    """The next day, while the rider loads the van before the rounds start."""
    local = moment.astimezone(MANILA) + timedelta(days=1)
    loading = datetime(local.year, local.month, local.day, FIRST_DROP - 2, tzinfo=MANILA)
    return (loading + timedelta(minutes=rng.uniform(0, 119))).astimezone(moment.tzinfo)


def _some_time_on(moment: datetime, rng: random.Random) -> datetime:
    """A time during the courier's rounds on the day of `moment`. Callers pass a day after the
    parcel left, or a moment before the rounds begin, so the result is never earlier."""
    local = moment.astimezone(MANILA)
    rounds = datetime(local.year, local.month, local.day, FIRST_DROP, tzinfo=MANILA)
    return (rounds + timedelta(hours=rng.uniform(0, LAST_DROP - FIRST_DROP))).astimezone(moment.tzinfo)


def _within(moment: datetime, start: int, end: int, rng: random.Random, *, skip_sunday: bool) -> datetime:
    local = moment.astimezone(MANILA)
    if start <= local.hour < end and not (skip_sunday and local.weekday() == SUNDAY):
        return moment
    day = local.date() if local.hour < start else local.date() + timedelta(days=1)
    if skip_sunday and day.weekday() == SUNDAY:
        day += timedelta(days=1)
    opening = datetime(day.year, day.month, day.day, start, tzinfo=MANILA)
    return (opening + timedelta(minutes=rng.uniform(0, 120))).astimezone(moment.tzinfo)

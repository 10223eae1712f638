"""Ship-by clocks and the priority that orders the warehouse's work.

Every order has a ship-by deadline: the channel's own when the order carries one (`orders.ship_by`),
else the seller's rule for its channel, e.g. "2 working days, cut-off 15:00": an order placed before
the cut-off on a working day counts that day as its day 0, one placed after (or on a closed day)
counts the next working day; it must ship by the cut-off time of the day `days` working days later.
Working days are the seller's working weekdays (Monday to Friday unless changed) that are neither a
Philippine holiday (the `holidays` package's calendar) nor a closure the seller declared.

The priority score is a sum of visible, configurable points (time left, channel, COD, age), so a
supervisor can see why one order comes before another. An order whose deadline is nearer than the
seller's `at_risk_minutes` and has not left the warehouse raises `ship_by_at_risk` (once per order)
through server/exceptions/raising.py: `raise_at_risk` is what a periodic job calls; building waves
and `bodega ship-by check` call it too.

Times are stored in UTC; the business day is Asia/Manila's. Every function that needs "now" takes
it as an argument, so tests run on a fake clock.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import holidays
import msgspec
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.audit.record import audit, changes
from server.db.base import utcnow
from server.db.bulk import in_values, upsert_rows
from server.exceptions.models import ExceptionRecord
from server.exceptions.raising import exception_row, raise_exceptions
from server.orders.models import Order
from server.orders.ship_by_models import Closure, FulfilmentSetting

MANILA = ZoneInfo("Asia/Manila")
AT_RISK = "ship_by_at_risk"
# Orders that have not left the warehouse yet: their ship-by still matters.
OPEN_STATUSES = ("pending", "on_hold", "allocated", "picking", "packed")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

MAX_SCORE = 1_000_000_000  # priority scores are stored as 32-bit integers (wave_orders.priority)
Days = Annotated[int, msgspec.Meta(ge=0, le=30)]
Points = Annotated[int, msgspec.Meta(ge=-100_000, le=100_000)]
Cutoff = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["15:00"])]
Channel = Annotated[str, msgspec.Meta(min_length=1, max_length=16)]


class ChannelRule(msgspec.Struct, forbid_unknown_fields=True):
    days: Days = 2  # working days after day 0
    cutoff: Cutoff = "15:00"  # Asia/Manila


class ShipByRules(msgspec.Struct, forbid_unknown_fields=True):
    """The seller's ship-by rules: one per channel, `default` for the others."""

    default: ChannelRule = msgspec.field(default_factory=ChannelRule)
    channels: dict[Channel, ChannelRule] = msgspec.field(default_factory=dict[str, ChannelRule])
    # Monday is 0: the days the warehouse ships.
    working_weekdays: Annotated[
        list[Annotated[int, msgspec.Meta(ge=0, le=6)]], msgspec.Meta(max_length=7)
    ] = msgspec.field(default_factory=lambda: [0, 1, 2, 3, 4])
    # An order this close to its ship-by (and not yet shipped) raises ship_by_at_risk.
    at_risk_minutes: Annotated[int, msgspec.Meta(ge=0, le=10_080)] = 240

    def rule_for(self, channel: str) -> ChannelRule:
        return self.channels.get(channel, self.default)


class PriorityRules(msgspec.Struct, forbid_unknown_fields=True):
    """score = base + per_hour_left * hours left (negative hours when late) + overdue (when late)
    + the channel's points + cod or prepaid + per_day_old * whole days since placed. Higher first."""

    base: Points = 1000
    per_hour_left: Points = -10
    overdue: Points = 500
    channels: dict[Channel, Points] = msgspec.field(
        default_factory=lambda: {"shopee": 30, "lazada": 30, "tiktok": 30, "webstore": 0}
    )
    cod: Points = 0
    prepaid: Points = 20  # paid already: a late one costs a refund and a rating
    per_day_old: Points = 5


class Score(msgspec.Struct):
    """A priority score and the points that made it, in the order the rules are listed."""

    total: int
    parts: list[tuple[str, int]]


_NAMES = {"ship_by": ShipByRules, "priority": PriorityRules}


# -- the calendar ---------------------------------------------------------------------------------


@cache
def _ph_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("PH", years=year).keys())


@dataclass(frozen=True)
class WorkCalendar:
    """Which days the warehouse ships: working weekdays less Philippine holidays and closures."""

    weekdays: frozenset[int] = frozenset(range(5))
    closed: frozenset[date] = frozenset()

    def is_working(self, day: date) -> bool:
        return day.weekday() in self.weekdays and day not in self.closed and day not in _ph_holidays(day.year)

    def next_working(self, day: date) -> date:
        """The first working day on or after `day` (a year without one is a misconfiguration)."""
        for _ in range(366):
            if self.is_working(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year: check working_weekdays and closures")

    def add_working(self, day: date, days: int) -> date:
        for _ in range(days):
            day = self.next_working(day + timedelta(days=1))
        return day


@cache
def _hhmm(text: str) -> time:
    if not _HHMM.match(text):
        raise ValueError(f"cut-off {text!r} is not HH:MM")
    return time(int(text[:2]), int(text[3:]))


def deadline(placed_at: datetime, rule: ChannelRule, calendar: WorkCalendar) -> datetime:
    """The ship-by of an order placed at `placed_at` (UTC) under `rule`, in UTC."""
    local = placed_at.astimezone(MANILA)
    cutoff = _hhmm(rule.cutoff)
    day0 = local.date()
    if not calendar.is_working(day0) or local.time() >= cutoff:
        day0 = calendar.next_working(day0 + timedelta(days=1))
    due = calendar.add_working(day0, rule.days)
    return datetime.combine(due, cutoff, MANILA).astimezone(UTC)


def ship_by_of(
    placed_at: datetime, channel: str, own: datetime | None, rules: ShipByRules, calendar: WorkCalendar
) -> datetime:
    """The channel's own deadline when the order carries one, else the seller's rule for it."""
    return own if own is not None else deadline(placed_at, rules.rule_for(channel), calendar)


def score(
    *,
    now: datetime,
    ship_by: datetime,
    placed_at: datetime,
    channel: str,
    payment_method: str,
    rules: PriorityRules,
) -> Score:
    seconds_left = (ship_by - now).total_seconds()
    hours_left = int(seconds_left // 3600)
    parts = [("base", rules.base), ("time_left", rules.per_hour_left * hours_left)]
    if seconds_left < 0:
        parts.append(("overdue", rules.overdue))
    parts.append(("channel", rules.channels.get(channel, 0)))
    parts.append(
        (
            "cod" if payment_method == "cod" else "prepaid",
            rules.cod if payment_method == "cod" else rules.prepaid,
        )
    )
    parts.append(("age", rules.per_day_old * max(0, (now - placed_at).days)))
    # An order placed, or due, centuries away would score past what a wave stores (a 32-bit
    # integer on PostgreSQL): the total is kept within a bound no real order comes near.
    return Score(max(-MAX_SCORE, min(MAX_SCORE, sum(p for _, p in parts))), parts)


# -- settings and closures in the database --------------------------------------------------------


def read_rules(conn: Connection, name: str) -> Any:
    """The seller's rules document `name` ("ship_by" or "priority"), or the defaults."""
    kind = _NAMES[name]
    value = conn.execute(select(FulfilmentSetting.value).where(FulfilmentSetting.name == name)).scalar()
    return msgspec.convert(value, kind) if value is not None else kind()


def write_rules(conn: Connection, name: str, rules: ShipByRules | PriorityRules, actor: str) -> None:
    """The one writer of a rules document, audited with the fields that changed."""
    before = msgspec.to_builtins(read_rules(conn, name))
    upsert_rows(
        conn,
        FulfilmentSetting,
        ("name",),
        [
            {
                "name": name,
                "value": msgspec.to_builtins(rules),
                "updated_by": actor[:64],
                "updated_at": utcnow(),
            }
        ],
        update=("value", "updated_by", "updated_at"),
    )
    diff = changes(before, msgspec.to_builtins(rules))
    audit(conn, f"fulfilment.{name}.changed", actor, "fulfilment_rules", name, **diff)


def calendar_for(conn: Connection, rules: ShipByRules, warehouse_id: uuid.UUID | None) -> WorkCalendar:
    """The working calendar of one warehouse (None: closures that close every warehouse only)."""
    stmt = select(Closure.day).where(Closure.warehouse_id.is_(None))
    if warehouse_id is not None:
        stmt = select(Closure.day).where(
            (Closure.warehouse_id.is_(None)) | (Closure.warehouse_id == warehouse_id)
        )
    return WorkCalendar(frozenset(rules.working_weekdays), frozenset(conn.execute(stmt).scalars()))


@dataclass
class Clock:
    """What deciding ship-by and priority needs, read once: the rules and each warehouse's calendar.
    Deadlines are remembered by (warehouse, channel, day, before the cut-off or not): thousands of
    orders share a handful of them."""

    ship_by: ShipByRules
    priority: PriorityRules
    calendars: dict[uuid.UUID | None, WorkCalendar]
    _seen: dict[tuple[uuid.UUID | None, str, date, bool], datetime] = field(
        default_factory=dict[tuple[uuid.UUID | None, str, date, bool], datetime]
    )

    def ship_by_of(
        self, placed_at: datetime, channel: str, own: datetime | None, wh: uuid.UUID | None
    ) -> datetime:
        if own is not None:
            return own
        rule = self.ship_by.rule_for(channel)
        local = placed_at.astimezone(MANILA)
        key = (wh, channel, local.date(), local.time() < _hhmm(rule.cutoff))
        due = self._seen.get(key)
        if due is None:
            calendar = self.calendars.get(wh) or self.calendars[None]
            due = self._seen[key] = deadline(placed_at, rule, calendar)
        return due


def load_clock(conn: Connection, warehouse_ids: Iterable[uuid.UUID | None] = ()) -> Clock:
    rules: ShipByRules = read_rules(conn, "ship_by")
    calendars = {wh: calendar_for(conn, rules, wh) for wh in {None, *warehouse_ids}}
    return Clock(rules, read_rules(conn, "priority"), calendars)


# -- orders at risk -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AtRisk:
    order_id: uuid.UUID
    external_id: str
    status: str
    ship_by: datetime


def orders_at_risk(conn: Connection, now: datetime, warehouse_id: uuid.UUID | None = None) -> list[AtRisk]:
    """Orders not yet shipped whose ship-by is within the seller's at_risk_minutes of `now` (or past)."""
    stmt = select(
        Order.id,
        Order.external_id,
        Order.status,
        Order.placed_at,
        Order.channel,
        Order.ship_by,
        Order.warehouse_id,
    ).where(Order.status.in_(OPEN_STATUSES))
    if warehouse_id is not None:
        stmt = stmt.where(Order.warehouse_id == warehouse_id)
    rules: ShipByRules = read_rules(conn, "ship_by")
    horizon = now + timedelta(minutes=rules.at_risk_minutes)
    # An order carrying the channel's own deadline beyond the horizon is not at risk: left in the
    # database (the alert rules run this every minute over every open order). Two reads, each a
    # range of the (status, ship_by) index: an OR of the two would scan every open order.
    near = conn.execute(stmt.where(Order.ship_by <= horizon)).all()
    rows = [*near, *conn.execute(stmt.where(Order.ship_by.is_(None))).all()]
    clock = load_clock(conn, {r[6] for r in rows})
    risky: list[AtRisk] = []
    for oid, external_id, status, placed_at, channel, own, wh in rows:
        due = clock.ship_by_of(placed_at, channel, own, wh)
        if due <= horizon:
            risky.append(AtRisk(oid, external_id, status, due))
    return risky


def raise_at_risk(conn: Connection, now: datetime, warehouse_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Raise `ship_by_at_risk` for each order at risk that has not had one yet; returns those orders.
    Safe to call as often as a job likes: an order is told about once."""
    return raise_for(conn, now, orders_at_risk(conn, now, warehouse_id))


def raise_for(conn: Connection, now: datetime, risky: list[AtRisk]) -> list[uuid.UUID]:
    """`raise_at_risk` for orders a caller already found at risk (building waves has their ship-by)."""
    if not risky:
        return []
    told = set(
        conn.execute(
            select(ExceptionRecord.order_id).where(
                ExceptionRecord.kind == AT_RISK,
                in_values(conn, ExceptionRecord.order_id, sorted(r.order_id for r in risky)),
            )
        ).scalars()
    )
    rows: list[dict[str, Any]] = []
    for r in sorted(risky, key=lambda r: (r.ship_by, r.order_id.int)):
        if r.order_id in told:
            continue
        late = r.ship_by <= now
        when = r.ship_by.astimezone(MANILA).strftime("%a %d %b %H:%M")
        what = "ship it now and tell the channel" if late else "pick, pack and hand it over first"
        verb = "missed" if late else "must ship by"
        message = f"Order {r.external_id} ({r.status}) {verb} its ship-by, {when} Manila: {what}"
        rows.append(
            exception_row(
                AT_RISK,
                message,
                now=now,
                order_id=r.order_id,
                details={"ship_by": r.ship_by.isoformat(), "status": r.status},
            )
        )
    raise_exceptions(conn, rows)
    return [row["order_id"] for row in rows]

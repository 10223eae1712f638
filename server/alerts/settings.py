"""The seller's alert settings: each rule's threshold, who hears first, who hears next when
nobody acknowledges, quiet hours, throttle. Stored as one checked document (alert_settings id 1);
what is not set takes the default below.

Thresholds owned by another domain stay there (one place per setting): the RTS days and the rider
cash ceiling are the COD policy's (server/cod/policy.py), the ship-by deadlines the fulfilment
rules' (server/orders/ship_by.py), a courier's remittance cycle and grace its terms'.
"""

# No `from __future__ import annotations`: Litestar reads these types at runtime.
from datetime import datetime, time
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, put
from litestar.params import JSONBody
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.alerts.models import AlertSettingsRow
from server.audit.record import audit, changes
from server.auth.models import User
from server.auth.principal import MANAGERS, Principal
from server.db import Database
from server.db.base import utcnow
from server.db.bulk import upsert_rows
from server.errors import FieldError, InvalidInput

_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
QuietHours = Annotated[str, msgspec.Meta(pattern=f"^({_HHMM}-{_HHMM})?$", examples=["22:00-06:00"])]
Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
People = Annotated[list[Username], msgspec.Meta(max_length=10)]


class AlertSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    # Low stock: a SKU whose free stock covers fewer days than this, at its selling rate over
    # the window (units sold per day in the last `sales_window_days`).
    low_stock_days_of_cover: Annotated[int, msgspec.Meta(ge=0, le=90)] = 3
    sales_window_days: Annotated[int, msgspec.Meta(ge=1, le=90)] = 14
    # Rider cash: in hand for longer than this without a remittance.
    rider_unremitted_hours: Annotated[int, msgspec.Meta(ge=1, le=168)] = 12
    # A phone that has work waiting (picks in its warehouse, stops on its rider's runs) and has not
    # synced for this long.
    device_silent_hours: Annotated[int, msgspec.Meta(ge=1, le=168)] = 4
    # Webhook signature failures from one shop within the window: someone may be forging orders,
    # or the shop's secret changed.
    webhook_failures: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 5
    webhook_window_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 60
    # How often the ledgers are checked against their balances (bodega verify).
    verify_every_minutes: Annotated[int, msgspec.Meta(ge=5, le=10_080)] = 60
    # How often the rules run.
    evaluate_every_s: Annotated[int, msgspec.Meta(ge=10, le=3600)] = 60
    # Who hears of a new exception (usernames); empty: every active supervisor.
    notify: People = []
    # Who hears next, one more per step, when nobody acknowledges within escalate_after_minutes.
    escalate_to: People = []
    escalate_after_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 30
    # "22:00-06:00": no pushes between these Manila times except for critical exceptions
    # ("": none; it may cross midnight).
    quiet_hours: QuietHours = ""
    # The same exception is not pushed again within this many minutes (unless it escalates).
    throttle_minutes: Annotated[int, msgspec.Meta(ge=0, le=1440)] = 15


DEFAULTS = AlertSettings()


def read_settings(conn: Connection) -> AlertSettings:
    doc = conn.execute(select(AlertSettingsRow.settings).where(AlertSettingsRow.id == 1)).scalar()
    if not doc:
        return DEFAULTS
    return msgspec.convert(doc, AlertSettings)


def quiet_window(settings: AlertSettings) -> tuple[time, time] | None:
    start, _, end = settings.quiet_hours.partition("-")
    if not start or start == end:
        return None
    return time.fromisoformat(start), time.fromisoformat(end)


def write_settings(conn: Connection, data: AlertSettings, actor: str) -> AlertSettings:
    """Check the people named exist, then store the whole document."""
    named = {*data.notify, *data.escalate_to}
    known = (
        set(
            conn.execute(
                select(User.username).where(User.username.in_(named), User.active.is_(True))
            ).scalars()
        )
        if named
        else set()
    )
    errors = [
        FieldError(f"{field}[{i}]", f"no active user is called {name}")
        for field in ("notify", "escalate_to")
        for i, name in enumerate(getattr(data, field))
        if name not in known
    ]
    if errors:
        raise InvalidInput(f"{len(errors)} unknown user(s)", errors)
    now: datetime = utcnow()
    doc: dict[str, Any] = msgspec.to_builtins(data)
    before = msgspec.to_builtins(read_settings(conn))
    upsert_rows(
        conn,
        AlertSettingsRow,
        ("id",),
        [{"id": 1, "settings": doc, "updated_at": now, "updated_by": actor[:64]}],
        update=("settings", "updated_at", "updated_by"),
    )
    audit(conn, "alerts.settings.changed", actor, "alert_settings", "1", **changes(before, doc))
    return data


class AlertSettingsController(Controller):
    path = "/api/v1/alerts/settings"
    tags = ["alerts"]

    @get("/", opt=MANAGERS, summary="The alert rules' thresholds, who hears, escalation and quiet hours")
    async def get_settings(self, request: Request[Principal, Any, Any]) -> AlertSettings:
        db: Database = request.app.state.db
        return await db.run_read(read_settings)

    @put(
        "/",
        opt=MANAGERS,
        summary="Set the alert settings (the whole document; what is left out takes its default)",
    )
    async def put_settings(
        self, request: Request[Principal, Any, Any], data: JSONBody[AlertSettings]
    ) -> AlertSettings:
        db: Database = request.app.state.db
        return await db.run_write(write_settings, data, request.user.actor)


alert_routes: list[Any] = [AlertSettingsController]

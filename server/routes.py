"""Every route handler the app serves, gathered from the domain packages."""

from __future__ import annotations

from typing import Any

from server.auth.controllers import auth_routes
from server.catalog.controllers import catalog_routes
from server.channels.controllers import channel_routes
from server.cod.controllers import cod_routes
from server.cod.runs import run_routes
from server.exceptions.controllers import exception_routes
from server.health import health, ready
from server.inventory.controllers import stock_routes
from server.inventory.count_tasks import count_task_routes
from server.inventory.locations import location_routes
from server.orders.controllers import order_routes
from server.settings import Settings
from server.sync_api.accept import accept_routes
from server.sync_api.controllers import sync_routes
from server.web import pwa_routes


def route_handlers(settings: Settings) -> list[Any]:
    handlers: list[Any] = [health, ready]
    handlers += auth_routes
    handlers += catalog_routes
    handlers += channel_routes
    handlers += location_routes
    handlers += stock_routes
    handlers += count_task_routes
    handlers += order_routes
    handlers += exception_routes + accept_routes
    handlers += sync_routes
    handlers += run_routes
    handlers += cod_routes
    handlers += pwa_routes  # last: the app's catch-all for its own client routes
    return handlers

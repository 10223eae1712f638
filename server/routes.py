"""Every route handler the app serves, gathered from the domain packages."""

from __future__ import annotations

from typing import Any

from server.alerts.settings import alert_routes
from server.audit.controllers import audit_routes
from server.auth.controllers import auth_routes
from server.catalog.controllers import catalog_routes
from server.channels.controllers import channel_routes
from server.cod.controllers import cod_routes
from server.cod.runs import run_routes
from server.couriers.controllers import courier_routes
from server.erp.controllers import erp_routes
from server.exceptions.controllers import exception_routes
from server.health import health, ready
from server.inbound.controllers import inbound_routes
from server.intake.review import list_status_review, put_channel_settings, put_status_map
from server.intake.webhooks import receive_webhook
from server.inventory.controllers import stock_routes
from server.inventory.count_tasks import count_task_routes
from server.inventory.locations import location_routes
from server.inventory.lookup import lookup_routes
from server.kpis.controllers import kpi_routes
from server.orders.controllers import order_routes
from server.picking.controllers import picking_routes
from server.push.controllers import push_routes
from server.reports.controllers import report_routes
from server.settings import Settings
from server.shipping.controllers import shipping_routes
from server.sync_api.accept import accept_routes
from server.sync_api.conflicts import conflict_routes
from server.sync_api.console import console_routes
from server.sync_api.console_picks import console_pick_routes
from server.sync_api.console_put_backs import console_put_back_routes
from server.sync_api.controllers import sync_routes
from server.sync_api.count_reviews import count_review_routes
from server.sync_api.device_state import device_state_routes
from server.timeline.controllers import timeline_routes
from server.web import pwa_routes


def route_handlers(settings: Settings) -> list[Any]:
    handlers: list[Any] = [health, ready]
    handlers += auth_routes
    handlers += catalog_routes
    handlers += channel_routes
    handlers += [receive_webhook, list_status_review, put_status_map, put_channel_settings]
    handlers += location_routes
    handlers += stock_routes
    handlers += count_task_routes + count_review_routes
    handlers += lookup_routes
    handlers += order_routes + timeline_routes  # an order's timeline gathers every domain's facts
    handlers += exception_routes + accept_routes + alert_routes
    handlers += push_routes
    handlers += sync_routes + device_state_routes
    handlers += run_routes
    handlers += cod_routes + console_routes + conflict_routes
    handlers += courier_routes
    handlers += picking_routes + console_pick_routes
    handlers += shipping_routes + console_put_back_routes
    handlers += kpi_routes + audit_routes  # the console's KPIs and audit search
    handlers += erp_routes  # the accounting system's feed
    handlers += report_routes
    handlers += inbound_routes
    handlers += pwa_routes  # last: the app's catch-all for its own client routes
    return handlers

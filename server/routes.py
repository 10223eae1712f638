"""Every route handler the app serves, gathered from the domain packages."""

from __future__ import annotations

from typing import Any

from server.health import health, ready
from server.settings import Settings


def route_handlers(settings: Settings) -> list[Any]:
    handlers: list[Any] = [health, ready]
    return handlers

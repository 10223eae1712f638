"""Helpers for the alert tests: run a writer or reader through the real Database (reactions, change
log) against a test database, with the time the test chooses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from server.db import Database
from tests.conftest import run

T = TypeVar("T")


def write(url: str, fn: Callable[..., T], *args: Any) -> T:
    async def go() -> T:
        db = Database(url)
        try:
            return await db.run_write(fn, *args)
        finally:
            await db.dispose()

    return run(go())


def read(url: str, fn: Callable[..., T], *args: Any) -> T:
    async def go() -> T:
        db = Database(url)
        try:
            return await db.run_read(fn, *args)
        finally:
            await db.dispose()

    return run(go())

"""What the browser tests' fixtures share: a seeded Bodega server and Debian's Chromium, each a
test failure (never a skip) when it cannot start, since `make test` always provides both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from server.bench import pwa


@contextmanager
def running_site() -> Iterator[pwa.Site]:
    try:
        with pwa.seeded_site() as site:
            yield site
    except pwa.NotReady as exc:
        pytest.fail(str(exc))


@contextmanager
def chromium(*, camera_file: Path | None = None) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        try:
            browser = pwa.launch(p, camera_file=camera_file)
        except pwa.NotReady as exc:
            pytest.fail(str(exc))
        try:
            yield browser
        finally:
            browser.close()

"""What the browser tests' fixtures share: a seeded Bodega server and Debian's Chromium, each a
test failure (never a skip) when it cannot start, since `make test` always provides both, and
Playwright's `expect` waiting as long as every other wait of these tests (pwa.WAIT_MS)."""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from server.bench import pwa

# `expect(...)` gives up after 5 s by default: on a loaded machine the work it waits for (a sync
# confirming two lines) can take longer, while nothing else here gives up before pwa.WAIT_MS.
expect.set_options(timeout=pwa.WAIT_MS)


@contextmanager
def running_site() -> Generator[pwa.Site]:
    try:
        with pwa.seeded_site() as site:
            yield site
    except pwa.NotReady as exc:
        pytest.fail(str(exc))


@contextmanager
def chromium(*, camera_file: Path | None = None) -> Generator[Any]:
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

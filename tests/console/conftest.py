"""The console's browser tests share one seeded server (tests/console/story.py) and one Chromium:
starting either is the slow part, and every test here only adds to the business, never resets it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.story import Story, make_story
from tests.kit.pwa import chromium, running_site

DESKTOP = {"width": 1280, "height": 800}
# Looked at by a person (the order timeline, the KPI page); the phone tests' folder, not kept in git.
# CONSOLE_QUICK=1 while working on a screen: a wait gives up in 10 s instead of the loaded machine's 120.
WAIT_MS = 10_000 if os.environ.get("CONSOLE_QUICK") else pwa.WAIT_MS
if WAIT_MS != pwa.WAIT_MS:
    expect.set_options(timeout=WAIT_MS)
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="package")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        yield site


@pytest.fixture(scope="package")
def story(site: pwa.Site) -> Story:
    return make_story(site)


@pytest.fixture(scope="package")
def browser(site: pwa.Site) -> Iterator[Any]:
    # After the site: seeding it runs an event loop, which cannot start inside Playwright's.
    with chromium() as launched:
        yield launched


@pytest.fixture
def desk(browser: Any, site: pwa.Site, story: Story) -> Iterator[Any]:
    """A fresh desktop browser tab, logged in to the console as the admin."""
    context = browser.new_context(viewport=DESKTOP)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    console_login(page, site, pwa.ADMIN)
    yield page
    context.close()


def console_login(page: Any, site: pwa.Site, user: tuple[str, str], path: str = "/console") -> None:
    page.goto(site.url + path)
    page.wait_for_function("document.documentElement.dataset.ready === '1'")
    page.fill("input[name=username]", user[0])
    page.fill("input[name=password]", user[1])
    page.click("button[type=submit]")
    # Logged in (or refused, or told why not) before the test moves on: leaving the page while
    # the login is on its way would drop the token it brings back.
    page.wait_for_selector("[data-testid=who], [data-testid=refused], [data-testid=problem]")


def open_screen(page: Any, site: pwa.Site, path: str) -> None:
    """A console screen by its address (the way a pasted link or a reload opens it)."""
    page.goto(f"{site.url}/console{path}")
    page.wait_for_function("document.documentElement.dataset.ready === '1'")


def shot(page: Any, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"console-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path

"""Each role lands on its own home, and every screen fits a 360 px phone held in one hand: nothing
wider than the screen, every control at least 44 px tall."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server.bench import pwa
from tests.kit.pwa import chromium, running_site

RIDER = ("rider.juan", "rider-pass-2026")
SUPERVISOR = ("sup.maria", "supervisor-pass-2026")

# Controls smaller than this are hard to hit with a thumb (WCAG 2.5.5 asks 44 CSS px).
SMALL_CONTROLS = """() => [...document.querySelectorAll("button, a, input")]
  .filter((el) => el.offsetParent !== null)
  .map((el) => [el.textContent.trim() || el.getAttribute("aria-label"), el.getBoundingClientRect()])
  .filter(([, box]) => box.height < 44)
  .map(([name, box]) => `${name}: ${Math.round(box.height)} px`)"""


WAREHOUSE_TILES = ["receive", "count", "pick", "pack", "handover", "putaway", "putback", "lookup", "returns"]


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        headers = {"Authorization": f"Bearer {pwa.admin_token(site)}"}
        for (username, password), role in ((RIDER, "rider"), (SUPERVISOR, "supervisor")):
            httpx.post(
                f"{site.url}/api/v1/users",
                json={"username": username, "password": password, "role": role},
                headers=headers,
                timeout=10,
            ).raise_for_status()
        yield site


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.mark.parametrize(
    ("user", "role", "can_open", "coming"),
    [
        (pwa.RECEIVER, "warehouse", WAREHOUSE_TILES, []),
        (RIDER, "rider", ["runs", "remit"], []),
        (SUPERVISOR, "supervisor", ["exceptions", *WAREHOUSE_TILES], []),
    ],
)
def test_each_role_lands_on_its_home(
    site: pwa.Site, browser: Any, user: tuple[str, str], role: str, can_open: list[str], coming: list[str]
) -> None:
    context = pwa.new_phone(browser, site)
    try:
        page = context.new_page()
        pwa.login(page, site, user)
        assert page.get_attribute("[data-testid=home]", "data-role") == role
        tiles = [t.get_attribute("data-testid") for t in page.query_selector_all("a.tile[data-testid]")]
        assert tiles == [f"tile-{name}" for name in can_open]
        soon = page.inner_text("[data-testid=home] .tiles")
        for title in coming:
            assert title in soon
        if "receive" not in can_open:  # a screen the role may not open falls back to its home
            page.goto(site.url + "/receive")
            pwa.wait_ready(page)
            assert page.get_attribute("[data-testid=home]", "data-role") == role
    finally:
        context.close()


def test_every_screen_fits_a_360px_phone_with_big_touch_targets(site: pwa.Site, browser: Any) -> None:
    context = pwa.new_phone(browser, site)
    problems: list[str] = []

    def check(name: str, page: Any) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > pwa.PHONE["width"]:
            problems.append(f"{name}: {width} px wide")
        problems.extend(f"{name}: {control}" for control in page.evaluate(SMALL_CONTROLS))

    try:
        page = context.new_page()
        page.goto(site.url + "/")
        pwa.wait_ready(page)
        check("login", page)
        pwa.login(page, site)
        pwa.load_reference_data(page, site)
        screens = {
            "home": "/",
            "count": "/count",
            "problems": "/problems",
            "put-away": "/putaway",
            "put-back": "/putback",
            "look-up": "/lookup",
            "returns": "/returns",
            "pick": "/pick",
            "pack": "/pack",
            "handover": "/handover",
        }
        for name, path in screens.items():
            page.goto(site.url + path)
            pwa.wait_ready(page)
            page.wait_for_selector("main.screen")  # a screen loaded on first use is there, not "Sandali…"
            check(name, page)
        page.goto(site.url + "/receive")
        pwa.wait_ready(page)
        check("receive: ref", page)
        page.click("[data-testid=no-ref]")
        pwa.wedge(page, pwa.SKUS[0][2])
        page.wait_for_selector("[data-testid=line]")
        check("receive: quantity and bin", page)
        page.goto(site.url + "/count")
        pwa.wait_ready(page)
        pwa.wedge(page, "A-01-01")
        page.wait_for_selector("[data-testid=count-line]")
        check("count: lines", page)
        page.click("[data-testid=count-review-open]")
        check("count: review", page)
        assert not problems, "\n".join(problems)
    finally:
        context.close()

"""The console's tables at an office laptop's 1280x800, with and without a drawer open beside them:
nothing spills past the window, the filters and pager are never scrolled away with the rows, and a
table wider than its box scrolls inside its own box, whose scrollbar is on screen (not below 25
rows). Screenshots kept for a person to look at (var/screenshots/console-layout-*.png)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import open_screen, shot
from tests.console.story import Story

# (screen, the button that opens its drawer: None for none)
SCREENS = [
    ("/orders", None),
    ("/stock", "adjust"),
    ("/people", "new-user"),
    ("/catalog", "new-sku"),
    ("/shops", "new-shop"),
    ("/suppliers", "add-supplier"),
]

MEASURE = """() => {
  const drawer = document.querySelector('.drawer')?.getBoundingClientRect();
  return {
    page: document.documentElement.scrollWidth,
    drawerLeft: drawer ? drawer.left : null,
    tables: [...document.querySelectorAll('.table-wrap')].map((wrap) => {
      const box = wrap.querySelector('.grid-scroll');
      const r = box.getBoundingClientRect();
      const heads = [...box.querySelectorAll('thead th')].map((th) => th.getBoundingClientRect().right);
      return {
        wrapClipped: wrap.scrollWidth > wrap.clientWidth,
        right: wrap.getBoundingClientRect().right,
        scrolls: box.scrollWidth > box.clientWidth,
        sideways: getComputedStyle(box).overflowX,
        top: r.top,
        bottom: r.bottom,
        boxRight: r.right,
        lastHead: Math.max(...heads),
      };
    }),
  };
}"""


@pytest.mark.parametrize(("path", "drawer"), SCREENS)
def test_tables_fit_at_1280(desk: Any, site: pwa.Site, story: Story, path: str, drawer: str | None) -> None:
    open_screen(desk, site, path)
    expect(desk.locator(".table-wrap tbody tr").first).to_be_visible()
    if drawer:
        desk.click(f"button[data-action={drawer}]")
        expect(desk.locator(".drawer")).to_be_visible()
    seen = desk.evaluate(MEASURE)
    width, height = desk.viewport_size["width"], desk.viewport_size["height"]
    assert seen["page"] <= width, f"{path}: the page spills {seen['page'] - width}px past the window"
    for t in seen["tables"]:
        assert not t["wrapClipped"], f"{path}: filters or pager scroll with the rows"
        if seen["drawerLeft"] is not None:
            assert t["right"] <= seen["drawerLeft"], f"{path}: the table runs under the drawer"
        if t["scrolls"]:
            # Wider than its box: it scrolls there, and (when on screen) so does its scrollbar.
            assert t["sideways"] == "auto"
            assert t["top"] > height or t["bottom"] <= height, f"{path}: the sideways scrollbar is off screen"
        else:
            assert t["lastHead"] <= t["boxRight"] + 0.5, f"{path}: the last column is cut off"
    shot(desk, f"layout{path.replace('/', '-')}{'-drawer' if drawer else ''}")


def test_the_orders_table_shows_every_column_at_1280(desk: Any, site: pwa.Site, story: Story) -> None:
    """The widest table, 25 rows tall: at 1280 its text columns wrap so the last (ship-by) shows."""
    open_screen(desk, site, "/orders")
    expect(desk.locator(".table-wrap tbody tr[data-row]").first).to_be_visible()
    expect(desk.locator(".table-wrap thead th").last).to_be_in_viewport(ratio=1)

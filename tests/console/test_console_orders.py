"""Orders in the console, in Chromium: the search a seller's office does (the channel's order
number, the waybill, the customer's phone as said on a call, status, channel, day), sorting and
paging done by the server, the keyboard, and one order's whole story on one page (screenshot kept
in var/screenshots for a person to look at)."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import open_screen, shot
from tests.console.story import STORY, TRY_AGAIN, Story

ROWS = "[data-testid=orders-table] tbody tr[data-row]"


def span(first: int, last: int, total: int) -> str:
    """The pager's words: "1\u201325 ng 31" (rows 1 to 25 of 31)."""
    return f"{first}\u2013{last} ng {total}"


def all_orders(site: pwa.Site) -> int:
    """How many orders the shared business has now: the story's 31 and any a test added (held
    orders placed days earlier, so they come after the story's on every page looked at here)."""
    token = pwa.admin_token(site)
    answer = httpx.get(
        f"{site.url}/api/v1/orders",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    return int(answer.json()["total"])


def first_cells(page: Any) -> list[str]:
    return page.locator(f"{ROWS} td:first-child").all_inner_texts()


def test_search_by_order_number_waybill_and_phone(desk: Any, site: pwa.Site, story: Story) -> None:
    total = all_orders(site)
    assert total >= 31  # the story's
    expect(desk.locator(ROWS)).to_have_count(25)  # one page of them
    expect(desk.get_by_test_id("range")).to_have_text(span(1, 25, total))
    desk.fill("input[name=external_id]", STORY)
    desk.press("input[name=external_id]", "Enter")
    expect(desk.locator(ROWS)).to_have_count(1)
    assert first_cells(desk) == [STORY]
    assert "external_id=2412-STORY-001" in desk.url  # the search is in the address: reload keeps it

    desk.fill("input[name=external_id]", "")
    desk.fill("input[name=waybill]", story.waybill)
    desk.click("text=Hanapin")
    expect(desk.locator(ROWS)).to_have_count(1)
    assert first_cells(desk) == [STORY]

    desk.fill("input[name=waybill]", "")
    desk.fill("input[name=phone]", "0918 765 4321")  # stored as +639187654321
    desk.click("text=Hanapin")
    expect(desk.locator(ROWS)).to_have_count(1)
    assert first_cells(desk) == [STORY]

    desk.fill("input[name=phone]", "12345")
    desk.click("text=Hanapin")
    expect(desk.get_by_test_id("problem")).to_contain_text("phone")


def test_filters_sort_and_server_pages(desk: Any, site: pwa.Site, story: Story) -> None:
    desk.select_option("select[name=status]", "delivered")
    expect(desk.locator(ROWS)).to_have_count(1)
    desk.select_option("select[name=status]", "allocated")
    expect(desk.get_by_test_id("range")).to_have_text(span(1, 25, 30))
    # Sorting by ship-by, earliest first, is the server's: page 1 starts with the oldest order.
    desk.click("button[data-sort=ship_by]")
    expect(desk.locator("th[aria-sort=descending] button[data-sort=ship_by]")).to_be_visible()
    desk.click("button[data-sort=ship_by]")
    expect(desk.locator("th[aria-sort=ascending] button[data-sort=ship_by]")).to_be_visible()
    expect(desk.locator(f"{ROWS} >> nth=0 >> td >> nth=0")).to_have_text("2412-PLAIN-030")
    desk.get_by_test_id("next-page").click()
    expect(desk.get_by_test_id("range")).to_have_text(span(26, 30, 30))
    expect(desk.locator(f"{ROWS} >> nth=4 >> td >> nth=0")).to_have_text("2412-PLAIN-001")
    # A pasted link opens on the same rows.
    url = desk.url
    open_screen(desk, site, url.split("/console", 1)[1])
    expect(desk.get_by_test_id("range")).to_have_text(span(26, 30, 30))
    # The day filter: every order was placed in the last two days, none on 1 Jan 2026.
    open_screen(desk, site, "/orders?placed_from=2026-01-01&placed_to=2026-01-01")
    expect(desk.get_by_test_id("empty")).to_be_visible()


def test_keyboard_search_choose_and_open(desk: Any, site: pwa.Site, story: Story) -> None:
    total = all_orders(site)
    expect(desk.locator(ROWS)).to_have_count(25)
    first_page = first_cells(desk)
    desk.keyboard.press("/")
    assert desk.evaluate("document.activeElement.name") == "external_id"
    desk.locator("[data-testid=orders-table] tbody").focus()
    desk.keyboard.press("n")  # next page
    expect(desk.get_by_test_id("range")).to_have_text(span(26, min(50, total), total))
    desk.keyboard.press("p")
    expect(desk.get_by_test_id("range")).to_have_text(span(1, 25, total))
    # Page 1's rows are back on screen (a late page would reset the chosen row to the first).
    expect(desk.locator(f"{ROWS} >> nth=0 >> td >> nth=0")).to_have_text(first_page[0])
    desk.locator("[data-testid=orders-table] tbody").focus()
    desk.keyboard.press("ArrowDown")
    desk.keyboard.press("ArrowDown")
    # The rows as shown, whatever other tests added to the shared business before this one.
    # Focusing the table selects its first row, so two downs land on the third.
    shown = first_cells(desk)
    expect(desk.locator(f"{ROWS}.selected td >> nth=0")).to_have_text(shown[2])
    desk.keyboard.press("ArrowUp")
    desk.keyboard.press("ArrowUp")
    desk.keyboard.press("Enter")
    expect(desk.get_by_test_id("timeline")).to_be_visible()
    assert "/console/orders/" in desk.url
    expect(desk.get_by_test_id("timeline")).to_contain_text(shown[0])


def test_order_timeline_on_one_page(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, f"/orders/{story.order_id}")
    events = desk.locator("[data-testid=events] li")
    expect(events.first).to_contain_text("placed on shopee")
    sources = set(
        desk.locator("[data-testid=events] li").evaluate_all("els => els.map(e => e.dataset.source)")
    )
    assert sources == {"history", "movement", "parcel", "attempt", "cash", "exception"}
    expect(desk.get_by_test_id("waybill")).to_have_text(story.waybill)
    expect(desk.get_by_test_id("attempts")).to_contain_text("not_home")
    expect(desk.get_by_test_id("attempts")).to_contain_text("voided")
    expect(desk.get_by_test_id("received-by")).to_have_text("Lola Nena")
    expect(desk.get_by_test_id("reschedule-on")).to_have_text(TRY_AGAIN)
    expect(desk.locator("[data-testid=events] li[data-source=attempt]").first).to_contain_text(
        f"try again on {TRY_AGAIN}"
    )
    expect(desk.get_by_test_id("cash")).to_contain_text("₱398.00")
    expect(desk.get_by_test_id("cash")).to_contain_text("rider.ben")
    expect(desk.get_by_test_id("exceptions")).to_contain_text("double_delivery")
    expect(desk.get_by_test_id("movements")).to_contain_text("SKU-TSHIRT-M")
    expect(desk.locator("[data-testid=events] li[data-source=history]").last).to_contain_text("→ delivered")
    shot(desk, "order-timeline")

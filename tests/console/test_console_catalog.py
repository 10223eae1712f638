"""Catalog, shops and listings, warehouses and bins in the console, in Chromium: a new SKU with its
barcode, a barcode added, a bundle's components; a shop and a listing; bins added and their label
sheet printed (the PDF read back with pypdf)."""

from __future__ import annotations

import io
from typing import Any

import httpx
from playwright.sync_api import expect
from pypdf import PdfReader

from server.bench import pwa
from tests.console.conftest import open_screen
from tests.console.story import Story


def test_new_sku_barcode_and_bundle(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/catalog")
    rows = desk.locator("[data-testid=sku-table] tbody tr[data-row]")
    expect(rows).to_have_count(4)
    desk.click("button[data-action=new-sku]")
    form = desk.get_by_test_id("new-sku")
    form.locator("input[name=code]").fill("SET-MUG-2")
    form.locator("input[name=name]").fill("Two white mugs")
    form.locator("input[name=weight_grams]").fill("700")
    form.locator("input[name=barcode]").fill("BDG-SET-0002")
    form.locator("select[name=kind]").select_option("internal")
    form.locator("button[type=submit]").click()
    expect(form.locator(".ok")).to_contain_text("SET-MUG-2")
    expect(rows).to_have_count(5)
    # Found by its barcode, opened with Enter.
    desk.fill("input[name=barcode]", "BDG-SET-0002")
    desk.press("input[name=barcode]", "Enter")
    expect(rows).to_have_count(1)
    desk.locator("[data-testid=sku-table] tbody").focus()
    desk.keyboard.press("Enter")
    expect(desk.get_by_test_id("sku-detail")).to_contain_text("Two white mugs")
    barcodes = desk.get_by_test_id("barcodes")
    barcodes.locator("input[name=code]").fill("BDG-SET-0003")
    barcodes.locator("select[name=kind]").select_option("internal")
    barcodes.locator("button[type=submit]").click()
    expect(barcodes.locator("li")).to_have_count(2)
    parts = desk.get_by_test_id("components")
    parts.locator("textarea[name=components]").fill("SKU-MUG-WHT x 2")
    parts.locator("button[type=submit]").click()
    expect(parts.locator("li")).to_contain_text("2\u00d7 SKU-MUG-WHT")
    token = pwa.admin_token(site)
    sku = httpx.get(f"{site.url}/api/v1/skus/SET-MUG-2", headers={"Authorization": f"Bearer {token}"}).json()
    assert sku["is_bundle"] and [(c["sku"], c["qty"]) for c in sku["components"]] == [("SKU-MUG-WHT", 2)]
    assert sorted(b["code"] for b in sku["barcodes"]) == ["BDG-SET-0002", "BDG-SET-0003"]


def test_shop_and_listing(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/shops")
    shops = desk.locator("[data-testid=shop-table] tbody tr[data-row]")
    expect(shops).to_have_count(1)
    desk.click("button[data-action=new-shop]")
    form = desk.get_by_test_id("new-shop")
    form.locator("select[name=channel]").select_option("lazada")
    form.locator("input[name=code]").fill("lazada-main")
    form.locator("input[name=name]").fill("Lazada Main")
    form.locator("select[name=default_warehouse]").select_option(pwa.WAREHOUSE)
    form.locator("button[type=submit]").click()
    expect(shops).to_have_count(2)
    desk.click("button[data-action=new-listing]")
    form = desk.get_by_test_id("new-listing")
    form.locator("select[name=shop]").select_option("lazada-main")
    form.locator("input[name=item_id]").fill("LZ-889911")
    form.locator("input[name=sku]").fill("SKU-TSHIRT-M")
    form.locator("button[type=submit]").click()
    listings = desk.locator("[data-testid=listing-table] tbody tr[data-row]")
    expect(listings).to_have_count(1)
    expect(listings.first).to_contain_text("LZ-889911")
    # An unknown SKU is refused, naming the field.
    form.locator("input[name=item_id]").fill("LZ-2")
    form.locator("input[name=sku]").fill("NO-SUCH-SKU")
    form.locator("button[type=submit]").click()
    expect(form.locator(".field-bad input[name=sku], [data-testid=problem]").first).to_be_visible()
    expect(listings).to_have_count(1)


def test_bins_added_and_labels_printed(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/warehouses")
    desk.locator("[data-testid=warehouse-table] tbody tr[data-row]", has_text="Valenzuela").click()
    expect(desk.get_by_test_id("bins")).to_be_visible()
    bins = desk.locator("[data-testid=bin-table] tbody tr[data-row]")
    expect(bins).to_have_count(5)
    desk.get_by_role("button", name="Add bins").click()
    desk.fill(".drawer textarea[name=codes]", "C-01-01\nC-01-02\nC-01-03")
    desk.fill(".drawer input[name=zone]", "C")
    desk.locator(".drawer button[type=submit]").click()
    expect(bins).to_have_count(8)
    desk.locator(".filters input[name=zone]").fill("C")
    desk.locator(".filters input[name=zone]").press("Enter")
    expect(bins).to_have_count(3)
    with desk.context.expect_page() as popup:
        desk.click("button[data-action=print-labels]")
    url = popup.value.url
    assert url.startswith("blob:")
    # The same sheet the button opened, fetched from the page so the blob is readable here.
    data = desk.evaluate(
        "async (u) => Array.from(new Uint8Array(await (await fetch(u)).arrayBuffer()))",
        url,
    )
    text = PdfReader(io.BytesIO(bytes(data))).pages[0].extract_text()
    assert all(code in text for code in ["C-01-01", "C-01-02", "C-01-03"])
    assert "A-01-01" not in text  # the filter was zone C

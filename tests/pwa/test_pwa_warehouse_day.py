"""The rest of the warehouse's day on the phone, in Chromium (issue 10 points 7, 8, 10, 11): put-away,
stock look-up online and offline, returns intake, a count whose uncounted lines are not zeroed, and
the receiving screen's defects found by a new user. Screenshots at 390x844 go to $BODEGA_SHOTS
(default: a temp folder) for a person to look at."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, insert, select

from server.bench import pwa
from server.catalog.models import Sku
from server.channels.models import Shop
from server.db.base import new_id, utcnow
from server.inventory.models import Warehouse
from server.orders.models import Order, OrderLine
from tests.kit.pwa import chromium, running_site

TSHIRT, CABLE, _SOAP, MUG = pwa.SKUS
SHOTS = Path(os.environ.get("BODEGA_SHOTS") or tempfile.mkdtemp(prefix="bodega-shots-"))
PHONE = {"width": 390, "height": 844}

# Every op on the phone (waiting or confirmed), as [type, payload], in recording order.
PHONE_OPS = """new Promise((resolve, reject) => {
  const open = indexedDB.open("bodega");
  open.onsuccess = () => {
    const tx = open.result.transaction(["outbox", "retained"]);
    const rows = [];
    for (const name of ["outbox", "retained"]) {
      const q = tx.objectStore(name).getAll();
      q.onsuccess = () => rows.push(...q.result);
    }
    tx.oncomplete = () => {
      open.result.close();
      rows.sort((a, b) => a.seq - b.seq);
      resolve(rows.map((r) => [r.op[5], r.op[6]]));
    };
    tx.onerror = () => reject(tx.error);
  };
})"""


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        yield site


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(site: pwa.Site, browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(pwa.WAIT_MS)
    tab = context.new_page()
    yield tab
    context.close()
    if site.process is None:
        site.start()


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def admin_get(site: pwa.Site, path: str, **params: Any) -> Any:
    headers = {"Authorization": f"Bearer {pwa.admin_token(site)}"}
    response = httpx.get(site.url + path, headers=headers, params=params, timeout=10)
    response.raise_for_status()
    return response.json()


def in_bin(site: pwa.Site, bin_code: str) -> dict[str, int]:
    """Units per SKU in one bin of VAL, as the server's look-up tells it."""
    found = admin_get(site, "/api/v1/lookup/", code=bin_code, warehouse=pwa.WAREHOUSE)
    return {b["sku"]: b["qty"] for b in found["bins"]}


def ready_phone(page: Any, site: pwa.Site, user: tuple[str, str] = pwa.RECEIVER) -> None:
    pwa.login(page, site, user)
    pwa.load_reference_data(page, site)


# The field each screen first waits on: put-away, look-up and returns load on first use.
FIRST_FIELD = {"/putaway": "scan-from", "/lookup": "scan-lookup", "/returns": "scan-parcel"}


def go(page: Any, site: pwa.Site, path: str) -> None:
    page.goto(site.url + path)
    pwa.wait_ready(page)
    if path in FIRST_FIELD:
        page.wait_for_selector(f"[data-testid={FIRST_FIELD[path]}]")


def wait_synced(page: Any) -> None:
    page.click("[data-testid=sync-now]")
    page.wait_for_function("document.querySelector('[data-testid=status]').dataset.pending === '0'")


def ops_of(page: Any, op_type: str) -> list[dict[str, Any]]:
    return [p for t, p in page.evaluate(PHONE_OPS) if t == op_type]


# -- point 11: the receiving screen ---------------------------------------------------------------


def start_line(page: Any, barcode: str) -> None:
    pwa.wedge(page, barcode)
    page.wait_for_selector("[data-testid=line]")


def test_receiving_unknown_bin_short_qty_scan_and_huge_quantity(page: Any, site: pwa.Site) -> None:
    ready_phone(page, site)
    go(page, site, "/receive")
    page.click("[data-testid=no-ref]")
    start_line(page, MUG[2])

    # A bin label the warehouse does not have, at the bin step: the unknown-bin prompt, not "unknown barcode".
    pwa.wedge(page, "ZZ-99-99")
    expect(page.get_by_test_id("prompt")).to_contain_text("Hindi kilalang bin")
    expect(page.get_by_test_id("prompt-yes")).to_be_visible()
    shot(page, "receive-unknown-bin")
    page.click("[data-testid=prompt-dismiss]")

    # A 2-digit quantity barcode, scanned while the + button has the focus: the quantity, not a tap on +.
    page.focus("[aria-label=Dagdagan]")
    pwa.wedge(page, "24")
    expect(page.get_by_test_id("qty")).to_have_value("24")

    # A million units asks first; "no" records nothing.
    page.fill("[data-testid=qty]", "1000000")
    page.click("[data-testid=line] h2")
    pwa.wedge(page, "RCV-01")
    expect(page.get_by_test_id("big-qty")).to_have_text("1,000,000")
    shot(page, "receive-huge-qty")
    page.click("[data-testid=prompt-dismiss]")
    assert ops_of(page, "stock.received@v1") == []
    page.fill("[data-testid=qty]", "24")
    page.click("[data-testid=line] h2")
    pwa.wedge(page, "RCV-01")
    page.wait_for_selector("[data-testid=saved]")
    assert [p["qty"] for p in ops_of(page, "stock.received@v1")] == [24]


def test_receiving_line_survives_reload_and_a_double_tap_records_once(page: Any, site: pwa.Site) -> None:
    ready_phone(page, site)
    go(page, site, "/receive")
    pwa.wedge(page, "DR-7")
    page.wait_for_selector("[data-testid=ref]:has-text('DR-7')")
    start_line(page, CABLE[2])
    page.fill("[data-testid=qty]", "7")
    page.click("[data-testid=line] h2")
    pwa.wedge(page, "RCV-01")  # first line saved: "I-save sa RCV-01" is offered next
    page.wait_for_selector("[data-testid=saved]")

    start_line(page, TSHIRT[2])
    page.fill("[data-testid=qty]", "5")
    page.click("[data-testid=line] h2")
    page.reload()  # half-done: the T-shirt line, 5 units, not yet put in a bin
    pwa.wait_ready(page)
    expect(page.get_by_test_id("line")).to_contain_text(TSHIRT[1])
    expect(page.get_by_test_id("qty")).to_have_value("5")
    expect(page.get_by_test_id("ref")).to_have_text("DR-7")

    page.dblclick("[data-testid=same-bin]")
    page.wait_for_selector("[data-testid=saved]")
    expect(page.get_by_test_id("received-line")).to_have_count(2)
    got = [(p["sku"], p["qty"], p["ref"]) for p in ops_of(page, "stock.received@v1")]
    assert got == [(CABLE[0], 7, "DR-7"), (TSHIRT[0], 5, "DR-7")]


def test_admin_picks_a_warehouse_instead_of_a_dead_end(page: Any, site: pwa.Site) -> None:
    pwa.login(page, site, pwa.ADMIN)
    go(page, site, "/receive")
    expect(page.get_by_test_id("choose-wh")).to_be_visible()
    assert "I-sync muna" not in page.inner_text("main")
    shot(page, "admin-choose-warehouse")
    page.click(f"[data-testid=choose-wh-option][data-code='{pwa.WAREHOUSE}']")
    expect(page.get_by_test_id("wh")).to_have_text(pwa.WAREHOUSE)
    expect(page.get_by_test_id("scan-ref")).to_be_visible()
    go(page, site, "/lookup")  # the choice holds on the other screens, and after a reload
    expect(page.get_by_test_id("wh")).to_have_text(pwa.WAREHOUSE)


def test_problems_are_explained_in_taglish_and_the_badge_clears(page: Any, site: pwa.Site) -> None:
    ready_phone(page, site)
    go(page, site, "/count")
    pwa.wedge(page, "A-01-02")  # an empty bin: counting 40 T-shirts in it is far off what the server expects
    expect(page.get_by_test_id("count-bin")).to_have_text("A-01-02")
    pwa.wedge(page, TSHIRT[2])
    page.fill(f"[data-testid=count-line][data-sku='{TSHIRT[0]}'] [data-testid=count-qty]", "40")
    page.click("[data-testid=count-review-open]")
    page.click("[data-testid=count-submit]")
    page.wait_for_selector("[data-testid=count-done]")
    wait_synced(page)
    page.wait_for_selector("[data-testid=status-notices]")
    page.click("[data-testid=status-notices]")
    notice = page.get_by_test_id("notice").first
    expect(notice).to_be_visible()
    text = notice.inner_text()
    assert "ledger" not in text and "expected" not in text, text  # the server's English stays on the server
    assert "supervisor" in text
    expect(page.get_by_test_id("status-notices")).to_have_count(0)  # seen: the badge is gone
    shot(page, "problems-taglish")
    page.click("[data-testid=notice-settle]")
    expect(page.get_by_test_id("no-problems")).to_be_visible()


def test_after_an_outage_waiting_work_is_retried_every_few_seconds(page: Any, site: pwa.Site) -> None:
    ready_phone(page, site)
    go(page, site, "/receive")
    site.stop()
    page.click("[data-testid=no-ref]")
    start_line(page, MUG[2])
    pwa.wedge(page, "RCV-01")
    page.wait_for_selector("[data-testid=saved]")
    page.click("[data-testid=sync-now]")
    for _ in range(3):  # three failed tries in a row: the plain backoff would be 4 s and growing
        page.wait_for_selector("[data-testid=status-next]")
        page.wait_for_selector("[data-testid=sync-now]:not([disabled])")
        page.click("[data-testid=sync-now]")
    page.wait_for_selector("[data-testid=status-next]")
    seconds = re.search(r"(\d+) s", page.inner_text("[data-testid=status-next]"))
    assert seconds and int(seconds.group(1)) <= 4
    shot(page, "status-next-try")
    site.start()  # back: nobody taps anything, the timer sends it
    page.wait_for_function("document.querySelector('[data-testid=status]').dataset.pending === '0'")


# -- point 10: a count whose uncounted lines are not zeroed ---------------------------------------


def test_a_count_sends_only_counted_lines_and_explicit_empties(page: Any, site: pwa.Site) -> None:
    ready_phone(page, site)
    before = in_bin(site, "A-01-01")
    go(page, site, "/count")
    pwa.wedge(page, "A-01-01")
    page.wait_for_selector("[data-testid=count-line]")
    page.fill(
        f"[data-testid=count-line][data-sku='{TSHIRT[0]}'] [data-testid=count-qty]", str(before[TSHIRT[0]])
    )
    page.click(f"[data-testid=count-line][data-sku='{MUG[0]}'] [data-testid=count-empty]")
    shot(page, "count-lines")
    page.click("[data-testid=count-review-open]")  # the cable is left uncounted
    expect(page.get_by_test_id("count-uncounted")).to_contain_text("hindi magbabago")
    assert "ang ilalagay" not in page.inner_text("main")
    expect(page.locator(f"[data-testid=review-line][data-sku='{CABLE[0]}']")).to_have_attribute(
        "data-state", "uncounted"
    )
    expect(page.locator(f"[data-testid=review-line][data-sku='{MUG[0]}']")).to_have_attribute(
        "data-state", "empty"
    )
    shot(page, "count-review")
    page.dblclick("[data-testid=count-submit]")
    page.wait_for_selector("[data-testid=count-done]")
    sent = {p["sku"]: p for p in ops_of(page, "stock.counted@v1") if p["bin"] == "A-01-01"}
    assert set(sent) == {TSHIRT[0], MUG[0]}  # the uncounted cable is not sent at all
    assert sent[MUG[0]]["counted"] == 0 and sent[MUG[0]]["empty"] is True
    assert sent[TSHIRT[0]]["counted"] == before[TSHIRT[0]] and "empty" not in sent[TSHIRT[0]]
    wait_synced(page)
    after = in_bin(site, "A-01-01")
    assert after[CABLE[0]] == before[CABLE[0]]  # not counted: not zeroed
    assert after[TSHIRT[0]] == before[TSHIRT[0]]


# -- point 7: put-away, moves and look-up ---------------------------------------------------------


def test_put_away_moves_stock_between_bins(page: Any, site: pwa.Site) -> None:
    ready_phone(page, site)
    before_from, before_to = in_bin(site, "A-01-01"), in_bin(site, "A-02-01")
    go(page, site, "/putaway")
    shot(page, "putaway-start")
    pwa.wedge(page, "A-01-01")
    expect(page.get_by_test_id("from-bin")).to_have_text("A-01-01")
    pwa.wedge(page, CABLE[2])
    page.wait_for_selector("[data-testid=line]")
    expect(page.get_by_test_id("qty")).to_have_value(str(before_from[CABLE[0]]))  # all of it, by default
    page.fill("[data-testid=qty]", "3")
    page.click("[data-testid=line] h2")
    shot(page, "putaway-line")
    pwa.wedge(page, "ZZ-99-99")  # a label that is no bin of VAL: asked, not taken
    expect(page.get_by_test_id("prompt")).to_contain_text("Hindi kilalang bin")
    page.click("[data-testid=prompt-dismiss]")
    pwa.wedge(page, "A-02-01")
    page.wait_for_selector("[data-testid=saved]")
    expect(page.get_by_test_id("moved-line")).to_have_count(1)
    shot(page, "putaway-saved")
    moved = ops_of(page, "stock.put_away@v1")
    assert moved == [{"wh": "VAL", "sku": CABLE[0], "qty": 3, "from_bin": "A-01-01", "to_bin": "A-02-01"}]
    wait_synced(page)
    assert in_bin(site, "A-01-01")[CABLE[0]] == before_from[CABLE[0]] - 3
    assert in_bin(site, "A-02-01").get(CABLE[0], 0) == before_to.get(CABLE[0], 0) + 3


def test_look_up_online_then_offline(page: Any, site: pwa.Site) -> None:
    ready_phone(page, site)
    go(page, site, "/lookup")
    pwa.wedge(page, TSHIRT[2])
    result = page.get_by_test_id("lookup-result")
    expect(result).to_have_attribute("data-offline", "no")
    expect(result).to_have_attribute("data-kind", "sku")
    expect(page.locator("[data-testid=lookup-line][data-bin='A-01-01']")).to_be_visible()
    expect(page.get_by_test_id("lookup-totals")).to_contain_text("on hand")
    expect(page.get_by_test_id("lookup-move").first).to_be_visible()
    shot(page, "lookup-item-online")
    pwa.wedge(page, "ZZ-99-99")
    expect(page.get_by_test_id("lookup-error")).to_contain_text("ZZ-99-99")

    site.stop()
    pwa.wedge(page, "A-01-01")
    result = page.get_by_test_id("lookup-result")
    expect(result).to_have_attribute("data-offline", "yes")
    expect(page.get_by_test_id("lookup-offline")).to_be_visible()
    expect(page.locator(f"[data-testid=lookup-line][data-sku='{TSHIRT[0]}']")).to_be_visible()
    shot(page, "lookup-bin-offline")


# -- point 8: returns intake ----------------------------------------------------------------------


def add_shipped_order(site: pwa.Site, number: str, lines: list[tuple[str, int]]) -> None:
    """An order shipped from VAL that comes back (written in the database the server shares, as the
    channel sync would have)."""
    engine = create_engine(site.database_url.replace("sqlite+aiosqlite", "sqlite"))
    try:
        with engine.begin() as conn:
            wid = conn.execute(select(Warehouse.id).where(Warehouse.code == pwa.WAREHOUSE)).scalar_one()
            shop = new_id()
            conn.execute(insert(Shop).values(id=shop, channel="shopee", code=f"shop-{number}", name="Shop"))
            oid = new_id()
            now = utcnow()
            conn.execute(
                insert(Order).values(
                    id=oid,
                    shop_id=shop,
                    channel="shopee",
                    external_id=number,
                    status="shipped",
                    payment_method="cod",
                    cod_amount=50_000,
                    total_amount=50_000,
                    customer_name="Buyer",
                    phone="+639171234567",
                    street="5 Mabini St.",
                    barangay="Malinta",
                    city="Valenzuela",
                    province="Metro Manila",
                    region="NCR",
                    zip_code="1440",
                    placed_at=now,
                    channel_updated_at=now,
                    payload_hash=number,
                    warehouse_id=wid,
                )
            )
            for n, (code, qty) in enumerate(lines, start=1):
                sid = conn.execute(select(Sku.id).where(Sku.code == code)).scalar_one()
                conn.execute(
                    insert(OrderLine).values(
                        id=new_id(), order_id=oid, line_no=n, sku_id=sid, qty=qty, unit_price=25_000
                    )
                )
    finally:
        engine.dispose()


def test_returns_shows_what_the_order_held(page: Any, site: pwa.Site) -> None:
    add_shipped_order(site, "SHP-2026-777", [(MUG[0], 1), (TSHIRT[0], 2)])
    ready_phone(page, site)
    go(page, site, "/returns")
    pwa.wedge(page, "SHP-2026-777")
    expect(page.get_by_test_id("expected-line")).to_have_count(2)
    pwa.wedge(page, "B-01-01")
    pwa.wedge(page, TSHIRT[2])
    page.click("[data-testid=restock]")
    expect(page.locator(f"[data-testid=expected-line][data-sku='{TSHIRT[0]}']")).to_have_attribute(
        "data-got", "1"
    )
    pwa.wedge(page, CABLE[2])  # not in the order: shown apart
    page.click("[data-testid=damaged]")
    expect(page.get_by_test_id("extra-line")).to_have_count(1)
    shot(page, "returns-expected")
    assert [p["order"] for p in ops_of(page, "return.received@v1")] == ["SHP-2026-777"] * 2


def test_returns_intake_restock_and_damaged(page: Any, site: pwa.Site) -> None:
    ready_phone(page, site)
    before = in_bin(site, "B-01-01")
    go(page, site, "/returns")
    shot(page, "returns-parcel")
    pwa.wedge(page, "ORD-099870")
    expect(page.get_by_test_id("parcel")).to_have_text("ORD-099870")
    expect(page.get_by_test_id("parcel-note")).to_contain_text("Hindi kilala ng server")  # no such order here
    pwa.wedge(page, "B-01-01")
    expect(page.get_by_test_id("return-bin")).to_have_text("B-01-01")
    pwa.wedge(page, MUG[2])
    pwa.wedge(page, MUG[2])  # a second mug in the parcel
    expect(page.get_by_test_id("qty")).to_have_value("2")
    shot(page, "returns-inspect")
    page.dblclick("[data-testid=restock]")
    expect(page.get_by_test_id("return-line")).to_have_count(1)
    pwa.wedge(page, CABLE[2])
    page.click("[data-testid=damaged]")
    expect(page.get_by_test_id("return-line")).to_have_count(2)
    shot(page, "returns-lines")
    got = ops_of(page, "return.received@v1")
    assert got == [
        {"wh": "VAL", "bin": "B-01-01", "sku": MUG[0], "qty": 2, "order": "ORD-099870"},
        {
            "wh": "VAL",
            "bin": "B-01-01",
            "sku": CABLE[0],
            "qty": 1,
            "order": "ORD-099870",
            "condition": "damaged",
        },
    ]
    page.click("[data-testid=parcel-done]")
    expect(page.get_by_test_id("scan-parcel")).to_be_visible()
    wait_synced(page)
    assert in_bin(site, "B-01-01").get(MUG[0], 0) == before.get(MUG[0], 0) + 2

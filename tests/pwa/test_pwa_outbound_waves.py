"""A wave built on the server (out-a's POST /api/v1/waves) is taken by a picker and batch-picked on
a phone: one walk through the bins for all its orders, each unit into its order's tote, and the
picks reach the server with nothing flagged (no wrong bin, wrong item or over-pick)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from server.bench import pwa
from tests.kit.pwa import chromium, running_site
from tests.pwa.test_pwa_outbound import LISTEN, MUG, TSHIRT, VIEWPORT, Api, shot, sync_until, wait_synced


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        Api(site).post("/api/v1/shops/", {"channel": "shopee", "code": "shopee-main", "name": "Shopee main"})
        yield site


def test_a_wave_is_batch_picked_into_totes(site: pwa.Site) -> None:
    api = Api(site)
    first = api.order("SHP-W1", [(TSHIRT[0], 1), (MUG[0], 1)])
    second = api.order("SHP-W2", [(TSHIRT[0], 2)])
    waves = api.post("/api/v1/waves/", {"warehouse": pwa.WAREHOUSE})["items"]
    totes = {o["order"]: o["tote"] for o in waves[0]["orders"]}
    with chromium() as browser:
        phone = {"viewport": VIEWPORT, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
        context = browser.new_context(**phone)
        context.set_default_timeout(pwa.WAIT_MS)
        context.add_init_script(LISTEN)
        page = context.new_page()
        pwa.login(page, site)
        wait_synced(page)
        page.click("[data-testid=tile-pick]")
        sync_until(page, "[data-testid=pick-wave]")
        shot(page, "w1-wave-list")
        page.click("[data-testid=pick-wave]")
        page.click("[data-testid=wave-take]")  # nobody has it: the picker takes it
        page.wait_for_selector("[data-testid=wave-picker]:has-text('Sa iyo na')")
        assert api.get(f"/api/v1/waves/{waves[0]['id']}")["picker"] == pwa.RECEIVER[0]
        walked: list[tuple[str, str]] = []
        while not page.is_visible("[data-testid=pick-done]"):
            line = page.wait_for_selector("[data-testid=pick-line]")
            assert line is not None
            sku, order, bin_code = (line.get_attribute(f"data-{k}") or "" for k in ("sku", "order", "bin"))
            assert totes[order] in page.inner_text("[data-testid=pick-tote]")  # which tote it goes in
            walked.append((sku, order))
            pwa.wedge(page, bin_code)
            page.wait_for_selector("[data-testid=scan-pick-item]")
            code = TSHIRT[2] if sku == TSHIRT[0] else MUG[2]
            pwa.wedge(page, code)
            page.wait_for_selector("[data-testid=pick-qty]")
            for _ in range(int(page.inner_text("[data-testid=pick-left]")) - 1):
                pwa.wedge(page, code)
            page.click("[data-testid=pick-confirm]")
            page.wait_for_function(
                """([sku, order]) => {
                  const l = document.querySelector("[data-testid=pick-line]");
                  return !l || l.dataset.sku !== sku || l.dataset.order !== order;
                }""",
                arg=[sku, order],
            )
        assert sorted(walked) == sorted([(TSHIRT[0], first), (MUG[0], first), (TSHIRT[0], second)])
        shot(page, "w2-wave-done")
        page.click("[data-testid=sync-now]")
        wait_synced(page)
        context.close()
    assert (api.status(first), api.status(second)) == ("picking", "picking")
    flagged = [e["kind"] for e in api.get("/api/v1/exceptions/")["items"] if e["kind"].startswith("pick")]
    assert flagged == []

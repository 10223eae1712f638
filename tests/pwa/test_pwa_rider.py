"""A rider's day in Chromium: download the run, go offline, deliver stops with cash, a photo
compressed on the phone, the recipient's name and a signature, fail others, hand the cash in,
come back online: the cash ledger, the attempts, the proofs and the orders change exactly once,
and closing the run purges the customers' names, phones and addresses from the phone.

The network is cut by stopping the server (Playwright's offline mode alone does not cut a service
worker's fetches), with the context offline as well so the app sees `navigator.onLine` go false.
"""

from __future__ import annotations

import io
import json
import random
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, func, insert, select, text

from server.auth.models import User
from server.auth.passwords import hash_password
from server.bench import pwa
from server.channels.models import Shop
from server.cod.models import CashBalance, CashLedgerEntry, DeliveryAttempt, ProofLink
from server.cod.runs import MANILA
from server.db.base import new_id, utcnow
from server.inventory.models import Warehouse
from server.orders.models import Order
from server.sync_api.models import SyncBlob, SyncOp
from tests.kit.pwa import chromium, running_site
from tests.pwa.test_pwa_screens import SMALL_CONTROLS

RIDER = ("rider.ana", "rider-pass-2026")
PHONE = {"width": 390, "height": 844}  # a common Android size; the screens test covers 360 px
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"  # looked at by a person; not kept in git
# name, COD in centavos (stop 5 is prepaid: nothing to collect)
BUYERS = [
    ("Maria Santos", 129_900),
    ("Jose Rizal", 45_000),
    ("Liza Soberano", 89_900),
    ("Pedro Penduko", 25_000),
    ("Nena Cruz", 0),
]


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        yield site


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def engine(site: pwa.Site) -> Any:
    return create_engine(site.database_url.replace("sqlite+aiosqlite", "sqlite"))


def seed_run(site: pwa.Site) -> tuple[list[str], str]:
    """A rider, five shipped COD orders on a run given through the API (as a supervisor would)."""
    eng = engine(site)
    ids = [new_id() for _ in BUYERS]
    with eng.begin() as conn:
        wid = conn.execute(select(Warehouse.id).where(Warehouse.code == pwa.WAREHOUSE)).scalar_one()
        conn.execute(
            insert(User).values(
                id=new_id(), username=RIDER[0], role="rider", password_hash=hash_password(RIDER[1])
            )
        )
        shop = new_id()
        conn.execute(insert(Shop).values(id=shop, channel="shopee", code="rider-shop", name="Shop"))
        placed = utcnow()
        rows = [
            {
                "id": oid,
                "shop_id": shop,
                "channel": "shopee",
                "external_id": f"R-{n}",
                "status": "shipped",
                "payment_method": "cod" if cod else "prepaid",
                "cod_amount": cod,
                "total_amount": cod or 50_000,
                "customer_name": name,
                "phone": f"+63917123450{n}",
                "street": f"{n} Mabini St.",
                "barangay": "Malinta",
                "city": "Valenzuela",
                "province": "Metro Manila",
                "region": "NCR",
                "zip_code": "1440",
                "placed_at": placed,
                "channel_updated_at": placed,
                "payload_hash": f"R-{n}",
                "warehouse_id": wid,
            }
            for n, ((name, cod), oid) in enumerate(zip(BUYERS, ids, strict=True), start=1)
        ]
        conn.execute(insert(Order), rows)
    eng.dispose()
    headers = {"Authorization": f"Bearer {pwa.admin_token(site)}"}
    stops = [{"order": str(oid), "waybill": f"BDG00009{n}"} for n, oid in enumerate(ids, start=1)]
    made = httpx.post(
        f"{site.url}/api/v1/runs",
        json={"rider": RIDER[0], "name": "Malinta AM", "stops": stops},
        headers=headers,
    )
    assert made.status_code == 201, made.text
    return [str(i) for i in ids], str(made.json()["id"])


def photo_file(tmp_path: Path, seed: int) -> Path:
    """A 12-megapixel, noisy photo (several MB as JPEG): what a phone camera hands the app."""
    from PIL import Image

    rnd = random.Random(seed)
    small = Image.new("RGB", (200, 150))
    small.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(200 * 150)])
    big = small.resize((4000, 3000), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    big.save(out, "JPEG", quality=95)
    path = tmp_path / f"parcel-{seed}.jpg"
    path.write_bytes(out.getvalue())
    return path


def sign(page: Any) -> None:
    box = page.locator("[data-testid=signature]").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + 0.15 * w, y + 0.6 * h)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + (0.15 + 0.06 * i) * w, y + (0.6 - 0.3 * (i % 2)) * h)
    page.mouse.up()
    expect(page.locator("[data-testid=signature][data-inked=yes]")).to_have_count(1)


def wait_synced(page: Any) -> None:
    page.wait_for_selector("[data-testid=status-last]:has-text('Huling sync')")
    page.wait_for_function("document.querySelector('[data-testid=status]').dataset.pending === '0'")


def open_stop(page: Any, order: str) -> None:
    page.click(f"[data-testid=stop][data-order='{order}']")
    page.wait_for_selector("[data-testid=stop-detail]")


def shot(page: Any, name: str) -> None:
    """A screenshot to look at, and the checks of every screen: fits the phone, big targets."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"rider-{name}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    assert page.evaluate(SMALL_CONTROLS) == [], name


PHONE_DATA = """async () => {
  const dump = async (name) => new Promise((resolve) => {
    const open = indexedDB.open(name);
    open.onsuccess = async () => {
      const db = open.result; const out = {};
      for (const store of db.objectStoreNames) {
        const q = db.transaction(store).objectStore(store).getAll();
        out[store] = await new Promise((r) => { q.onsuccess = () => r(q.result); });
      }
      db.close(); resolve(out);
    };
  });
  const main = await dump("bodega"); const rider = await dump("bodega-rider");
  return { text: JSON.stringify({ main, rider: { meta: rider.meta } }), blobs: rider.blobs.length,
           stops: main.replica.filter((r) => r.kind === "stop").length };
}"""


def test_a_riders_day_offline_syncs_exactly_once_and_forgets_the_customers(
    site: pwa.Site, browser: Any, tmp_path: Path
) -> None:
    orders, run_id = seed_run(site)
    picture, second, gate = (photo_file(tmp_path, seed) for seed in (1, 2, 3))
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(pwa.WAIT_MS)
    page = context.new_page()
    try:
        pwa.login(page, site, RIDER)
        pwa.wait_controlled(page)
        wait_synced(page)
        page.click("[data-testid=tile-runs]")
        expect(page.locator("[data-testid=stop]")).to_have_count(5)  # the run is on the phone
        assert (
            page.locator("[data-testid=stop]").first.get_attribute("data-order") == orders[0]
        )  # route order

        site.stop()  # the network is gone for the day
        context.set_offline(True)
        page.reload()
        pwa.wait_ready(page)
        expect(page.locator("[data-testid=stop]")).to_have_count(5)
        shot(page, "run")

        # Stop 1: ₱1,299 paid with two ₱1,000 bills; photo, name, signature.
        open_stop(page, orders[0])
        assert page.get_attribute("[data-testid=call]", "href") == "tel:+639171234501"
        assert page.get_attribute("[data-testid=sms]", "href").startswith("sms:+639171234501?body=")
        assert "maps" in page.get_attribute("[data-testid=map]", "href")
        shot(page, "stop")
        page.click("[data-testid=deliver]")
        page.fill("[data-testid=given]", "2000")
        expect(page.locator("[data-testid=change]")).to_have_attribute("data-change", "70100")
        page.set_input_files("[data-testid=photo]", str(picture))
        size = page.wait_for_selector("[data-testid=photo-size]")
        assert int(size.get_attribute("data-kb") or "999") <= 200
        # A figure for the README (run with -s), never asserted: speed lives in benches.
        print(
            f"\nphoto on the phone: {picture.stat().st_size / 1e6:.1f} MB 4000x3000 -> "
            f"{size.get_attribute('data-kb')} KB {size.inner_text().split(' ·')[0]} at quality "
            f"{size.get_attribute('data-quality')} in {size.get_attribute('data-ms')} ms"
        )
        assert picture.stat().st_size > 1_000_000  # what the camera gave: more than five times bigger
        page.click("[data-testid=recipient-self]")
        sign(page)
        shot(page, "deliver")
        page.click("[data-testid=deliver-save]")
        page.wait_for_selector("[data-testid=deliver-done]")
        page.goto(site.url + f"/runs/{orders[0]}")  # the stop says who received it
        pwa.wait_ready(page)
        expect(page.locator("[data-testid=stop-received-by]")).to_have_text(BUYERS[0][0])

        # Stop 2: exact cash by the quick button, a photo and a relative's name, no signature.
        page.goto(site.url + f"/runs/{orders[1]}/deliver")
        pwa.wait_ready(page)
        page.locator("[data-testid=given-quick]").first.click()
        expect(page.locator("[data-testid=change]")).to_have_attribute("data-change", "0")
        page.set_input_files("[data-testid=photo]", str(second))
        page.wait_for_selector("[data-testid=photo-size]")
        page.fill("[data-testid=recipient]", "Tita Baby")
        page.click("[data-testid=deliver-save]")
        page.wait_for_selector("[data-testid=deliver-done]")

        # Stop 3: nobody home. Stop 4: come back in two days, with a photo of the gate.
        page.goto(site.url + f"/runs/{orders[2]}/fail")
        pwa.wait_ready(page)
        page.click("[data-testid=reason-not_home]")
        page.click("[data-testid=fail-save]")
        page.wait_for_selector("[data-testid=fail-done]")
        page.goto(site.url + f"/runs/{orders[3]}/fail")
        pwa.wait_ready(page)
        page.click("[data-testid=reason-rescheduled]")
        tomorrow = (datetime.now(MANILA).date() + timedelta(days=1)).isoformat()
        expect(page.locator("[data-testid=reschedule-date]")).to_have_value(tomorrow)  # offered
        page.fill("[data-testid=reschedule-date]", "")
        expect(page.locator("[data-testid=fail-save]")).to_be_disabled()  # rescheduled needs the day
        later = (datetime.now(MANILA).date() + timedelta(days=2)).isoformat()
        page.fill("[data-testid=reschedule-date]", later)
        page.fill("[data-testid=fail-note]", "nasa trabaho ang buyer")
        page.set_input_files("[data-testid=fail-photo]", str(gate))
        page.wait_for_selector("[data-testid=fail-photo-size]")
        shot(page, "fail")
        page.click("[data-testid=fail-save]")
        page.wait_for_selector("[data-testid=fail-done]")
        page.goto(site.url + f"/runs/{orders[3]}")  # the stop says when to come back
        pwa.wait_ready(page)
        expect(page.locator("[data-testid=stop-reschedule-on]")).to_have_text(later)
        shot(page, "stop-rescheduled")

        page.reload()  # still offline: the day is still there
        pwa.wait_ready(page)
        page.goto(site.url + "/runs")
        pwa.wait_ready(page)
        progress = page.locator("[data-testid=run-progress]")
        expect(progress).to_have_attribute("data-delivered", "2")
        expect(progress).to_have_attribute("data-failed", "2")
        expect(progress).to_have_attribute("data-togo", "1")
        shot(page, "run-progress")

        # A delivered stop cannot be delivered (and its cash collected) twice.
        page.goto(site.url + f"/runs/{orders[0]}/deliver")
        pwa.wait_ready(page)
        page.wait_for_selector("[data-testid=deliver-blocked]")

        # End of day: cash by stop, then hand it in.
        page.goto(site.url + "/remit")
        pwa.wait_ready(page)
        collected = BUYERS[0][1] + BUYERS[1][1]
        expect(page.locator("[data-testid=cash-in-hand]")).to_have_attribute("data-centavos", str(collected))
        expect(page.locator("[data-testid=cash-row]")).to_have_count(2)
        shot(page, "summary")
        page.click("[data-testid=open-remit]")
        # The amount offered is what the phone holds (both collections), before anything is typed.
        expect(page.locator("[data-testid=remit-amount]")).to_have_value(f"{collected / 100:g}")
        page.fill("[data-testid=remit-to]", "cashier-val")
        page.fill("[data-testid=remit-ref]", "REM-0001")
        page.click("[data-testid=remit-save]")
        page.wait_for_selector("[data-testid=remit-done]")
        # stop 1: attempt, cash, photo, signature; stop 2: attempt, cash, photo; stop 3: attempt;
        # stop 4: attempt, photo; and the remittance. The status bar counts the outbox after each
        # save, a moment later on a busy machine: wait for the count, not for the clock.
        waiting = 4 + 3 + 1 + 2 + 1
        outbox = "document.querySelector('[data-testid=status]').dataset.pending"
        page.wait_for_function(f"{outbox} === '{waiting}'")
        page.reload()
        pwa.wait_ready(page)
        page.wait_for_function(f"{outbox} === '{waiting}'")  # the ops survived the reload

        site.start()  # the network is back
        context.set_offline(False)
        page.click("[data-testid=sync-now]")
        wait_synced(page)
        page.click("[data-testid=sync-now]")  # and again: nothing is sent twice
        wait_synced(page)
        page.goto(site.url + "/runs")
        pwa.wait_ready(page)
        page.wait_for_selector("[data-testid=run-progress]")
        expect(page.locator("[data-testid=proofs-waiting]")).to_have_count(0)  # the photos went up too

        eng = engine(site)
        with eng.connect() as conn:
            cash = conn.execute(
                select(
                    CashLedgerEntry.holder,
                    CashLedgerEntry.kind,
                    CashLedgerEntry.order_ref,
                    CashLedgerEntry.amount,
                )
            ).all()
            expected_cash = [
                (RIDER[0], "collected", orders[0], BUYERS[0][1]),
                (RIDER[0], "collected", orders[1], BUYERS[1][1]),
                (RIDER[0], "remitted", "", -collected),
                ("cashier-val", "received", "", collected),
            ]
            # On a mismatch, say everything the server holds: the ledger with its refs and the ops.
            ledger = conn.execute(select(CashLedgerEntry.__table__)).mappings().all()
            ops = conn.execute(select(SyncOp.type, SyncOp.seq, SyncOp.status, SyncOp.payload)).all()
            assert sorted(cash) == sorted(expected_cash), f"ledger {ledger}\nops {ops}"
            balance = conn.execute(select(CashBalance.amount).where(CashBalance.holder == RIDER[0])).scalar()
            assert balance == 0
            d = DeliveryAttempt
            attempts = conn.execute(
                select(d.order_ref, d.outcome, d.reason, d.received_by, d.reschedule_on, d.note)
            ).all()
            assert sorted(attempts) == sorted(
                [
                    (orders[0], "delivered", "", BUYERS[0][0], "", ""),
                    (orders[1], "delivered", "", "Tita Baby", "", ""),
                    (orders[2], "failed", "not_home", "", "", ""),
                    (orders[3], "failed", "rescheduled", "", later, "nasa trabaho ang buyer"),
                ]
            )
            journal = conn.execute(
                select(SyncOp.type, SyncOp.status).where(SyncOp.type.like("delivery.%"))
            ).all()
            assert journal == [("delivery.attempted@v2", "applied")] * 4
            proofs = conn.execute(select(ProofLink.order_ref, ProofLink.kind, ProofLink.blob)).all()
            assert sorted((o, k) for o, k, _ in proofs) == sorted(
                [(orders[0], "photo"), (orders[0], "signature"), (orders[1], "photo"), (orders[3], "photo")]
            )
            stored = dict(conn.execute(select(SyncBlob.sha256, SyncBlob.size)).all())
            assert {b for _, _, b in proofs} == set(stored)  # every proof is on the server, once
            assert len(stored) == 4
            assert all(size <= 200 * 1024 for size in stored.values())
            status = dict(
                conn.execute(
                    select(Order.id, Order.status).where(Order.id.in_([uuid.UUID(o) for o in orders]))
                ).all()
            )
            assert [status[uuid.UUID(o)] for o in orders] == [
                "delivered",
                "delivered",
                "failed_delivery",
                "failed_delivery",
                "shipped",
            ]
            assert conn.execute(select(func.count()).select_from(text("exceptions"))).scalar() == 0
        eng.dispose()

        # The phone agrees with the ledger: nothing in hand once the remittance is confirmed.
        page.goto(site.url + "/remit")
        pwa.wait_ready(page)
        expect(page.locator("[data-testid=cash-in-hand]")).to_have_attribute("data-centavos", "0")
        expect(page.locator("[data-testid=server-cash]")).to_contain_text("₱0")

        # The supervisor closes the run: the stops leave the phone, and with them the customers.
        headers = {"Authorization": f"Bearer {pwa.admin_token(site)}"}
        assert httpx.post(f"{site.url}/api/v1/runs/{run_id}/close", headers=headers).status_code == 200
        page.click("[data-testid=sync-now]")
        wait_synced(page)
        page.goto(site.url + "/runs")
        pwa.wait_ready(page)
        page.wait_for_selector("[data-testid=run-empty]")
        # The purge deletes photos, then the attempts naming who received a parcel, then drafts: wait
        # for all of it (a read between two of its transactions would still see a recipient's name).
        names = json.dumps([name for name, _ in BUYERS])
        page.wait_for_function(
            f"({PHONE_DATA})().then((d) => d.blobs === 0 && d.stops === 0"
            f" && !{names}.some((n) => d.text.includes(n)))"
        )
        left = page.evaluate(PHONE_DATA)
        for name, _ in BUYERS:
            assert name not in left["text"]
        for gone in ("Tita Baby", "Mabini", "+63917123450"):
            assert gone not in left["text"]
        shot(page, "closed")
    finally:
        context.close()
        if site.process is None:
            site.start()

"""Waves, pick lists and the picking rules (sync/PROTOCOL.md R3, R4), on both databases.

Every picking rule is checked on both paths, the console's POST /api/v1/picks and a phone's push,
with the same expectations: the same fact leaves the same house behind whichever way it came.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from server.changes.log import scope_entities
from sync import ParcelLine, ParcelPacked, ShortReason, StockPicked, StockShortPicked
from tests.kit.sync import connect, op_for, push
from tests.picking.kit import Floor, bin_units, exceptions, open_floor, pdf_text

FAR = (datetime.now(UTC) + timedelta(days=30)).isoformat()  # a ship-by nowhere near at risk


def _waves(floor: Floor, **body: Any) -> list[dict[str, Any]]:
    answer = floor.client.post("/api/v1/waves", json={"warehouse": "VAL", **body})
    assert answer.status_code == 201, answer.text
    return answer.json()["items"]


def _wave_entities(url: str) -> dict[str, Any]:
    with connect(url) as conn:
        return {key: value for (kind, key), value in scope_entities(conn, "wh:VAL").items() if kind == "wave"}


# -- waves and pick lists -------------------------------------------------------------------------


def test_waves_batch_small_orders_with_a_tote_each_and_walk_the_bins_in_order(
    client: Any, tokens: dict[str, str], database_url: str
) -> None:
    shelves = {
        ("VAL", "A-10-01", "CASE-BLK"): 50,
        ("VAL", "A-02-03", "CABLE-1M"): 50,
        ("VAL", "B-01-01", "SOAP-KOJIC"): 50,
    }
    floor = open_floor(client, tokens, database_url, shelves)
    for n in range(3):
        floor.order(client, f"S-{n}", [("SOAP-KOJIC", 1), ("CASE-BLK", 1)], ship_by=FAR)
    floor.order(client, "BIG", [("CABLE-1M", 9)], ship_by=FAR)
    waves = _waves(floor, group_by="priority", max_orders=2, batch_max_units=5)
    sizes = sorted(len(w["orders"]) for w in waves)
    assert sizes == [1, 1, 2]  # three small orders: a cart of two and one of one; the big one alone
    for wave in waves:
        assert [o["tote"] for o in wave["orders"]] == [f"T{n + 1:02d}" for n in range(len(wave["orders"]))]
        bins = [p["bin"] for p in wave["picks"]]
        # Walking order: zone A before B, aisle 2 before aisle 10 (numbers, not text).
        assert bins == sorted(bins, key=lambda b: (b[0], int(b.split("-")[1]), int(b.split("-")[2])))
        assert [p["seq"] for p in wave["picks"]] == list(range(len(wave["picks"])))
    big = next(w for w in waves if w["orders"][0]["external_id"] == "BIG")
    assert [(p["bin"], p["sku"], p["qty"]) for p in big["picks"]] == [("A-02-03", "CABLE-1M", 9)]
    # Every order is in exactly one wave; building again finds nothing new.
    assert sorted(o["external_id"] for w in waves for o in w["orders"]) == ["BIG", "S-0", "S-1", "S-2"]
    assert _waves(floor) == []
    # The phones read each wave as an entity of the warehouse's scope.
    entities = _wave_entities(database_url)
    assert set(entities) == {w["id"] for w in waves}
    value = entities[big["id"]]
    assert value["picks"] == [["A-02-03", "CABLE-1M", 9, big["orders"][0]["order"], "T01"]]
    assert value["orders"][0][:2] == [big["orders"][0]["order"], "T01"]
    assert value["status"] == "open" and value["picker"] is None


def test_a_sku_in_two_bins_is_planned_from_the_first_along_the_walk_then_the_next(
    client: Any, tokens: dict[str, str], database_url: str
) -> None:
    shelves = {("VAL", "A-03-01", "CASE-BLK"): 2, ("VAL", "A-01-02", "CASE-BLK"): 1}
    floor = open_floor(client, tokens, database_url, shelves)
    floor.order(client, "O-1", [("CASE-BLK", 3)], ship_by=FAR)
    (wave,) = _waves(floor, batch_max_units=5)
    assert [(p["bin"], p["qty"]) for p in wave["picks"]] == [("A-01-02", 1), ("A-03-01", 2)]


def test_waves_group_by_channel_or_cutoff(client: Any, tokens: dict[str, str], database_url: str) -> None:
    floor = open_floor(client, tokens, database_url, {("VAL", "A-01-01", "CASE-BLK"): 20})
    soon = (datetime.now(UTC) + timedelta(days=20)).isoformat()
    floor.order(client, "E-1", [("CASE-BLK", 1)], ship_by=FAR)
    floor.order(client, "E-2", [("CASE-BLK", 1)], ship_by=soon)
    waves = _waves(floor, group_by="cutoff")
    assert len(waves) == 2  # two cut-offs, two carts
    assert {w["group_key"] for w in waves} == {
        datetime.fromisoformat(t)
        .astimezone(__import__("zoneinfo").ZoneInfo("Asia/Manila"))
        .strftime("%Y-%m-%d %H:%M")
        for t in (FAR, soon)
    }
    floor.order(client, "E-3", [("CASE-BLK", 1)], ship_by=FAR)
    (by_channel,) = _waves(floor, group_by="channel")
    assert by_channel["group_key"] == "shopee"


def test_a_wave_is_given_to_a_picker_of_its_warehouse_only(
    client: Any, tokens: dict[str, str], database_url: str
) -> None:
    floor = open_floor(client, tokens, database_url, {("VAL", "A-01-01", "CASE-BLK"): 5})
    floor.order(client, "O-1", [("CASE-BLK", 1)], ship_by=FAR)
    (wave,) = _waves(floor)
    answer = client.post(f"/api/v1/waves/{wave['id']}/assign", json={"picker": "picker1"})
    assert answer.status_code == 201, answer.text
    assert answer.json()["picker"] == "picker1"
    assert _wave_entities(database_url)[wave["id"]]["picker"] == "picker1"
    refused = client.post(f"/api/v1/waves/{wave['id']}/assign", json={"picker": "test-rider"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "picker"
    closed = client.post(f"/api/v1/waves/{wave['id']}/close")
    assert closed.json()["status"] == "done"
    assert wave["id"] not in _wave_entities(database_url)  # gone from the phones


def test_the_pick_list_pdf_reads_back_in_walking_order(
    client: Any, tokens: dict[str, str], database_url: str
) -> None:
    shelves = {("VAL", "B-02-01", "SOAP-KOJIC"): 5, ("VAL", "A-01-01", "CASE-BLK"): 5}
    floor = open_floor(client, tokens, database_url, shelves)
    floor.order(client, "PL-1", [("SOAP-KOJIC", 2), ("CASE-BLK", 1)], ship_by=FAR)
    (wave,) = _waves(floor)
    answer = client.get(f"/api/v1/waves/{wave['id']}/pick-list.pdf")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.content)
    assert f"Pick list {wave['code']}" in text
    assert "PL-1" in text and "Kojic soap 135 g" in text
    assert text.index("A-01-01") < text.index("B-02-01")  # the walk, on paper too


def test_a_warehouse_user_builds_waves_only_for_their_own_warehouse(
    client: Any, tokens: dict[str, str], database_url: str
) -> None:
    floor = open_floor(client, tokens, database_url, {})
    answer = client.post(
        "/api/v1/waves", json={"warehouse": "CEB"}, headers={"Authorization": f"Bearer {floor.picker.token}"}
    )
    assert answer.status_code == 403


# -- the picking rules, on both paths -------------------------------------------------------------

PATHS = ["console", "phone"]


def _picker(floor: Floor, path: str) -> tuple[Callable[..., dict[str, Any]], Callable[..., dict[str, Any]]]:
    """pick(bin, sku, qty, order) and short(bin, sku, order, wanted, found), each answering
    {status: applied|flagged, exceptions: [kinds]} whichever path they took."""
    seq = itertools.count(1)

    def pick(bin: str, sku: str, qty: int, order: str) -> dict[str, Any]:
        if path == "console":
            body = {"warehouse": "VAL", "bin": bin, "sku": sku, "qty": qty, "order": order}
            answer = floor.client.post("/api/v1/picks", json=body)
            assert answer.status_code == 201, answer.text
            return {"status": answer.json()["outcome"], "exceptions": answer.json()["exceptions"]}
        op = op_for(floor.picker, next(seq), StockPicked(wh="VAL", bin=bin, sku=sku, qty=qty, order=order))
        (result,) = push(floor.client, floor.picker, op).res
        return {"status": result.st, "exceptions": [n.code for n in result.notes or []]}

    def short(
        bin: str, sku: str, order: str, wanted: int, found: int, reason: ShortReason = "not_enough"
    ) -> dict[str, Any]:
        if path == "console":
            body = {
                "warehouse": "VAL",
                "bin": bin,
                "sku": sku,
                "order": order,
                "wanted": wanted,
                "found": found,
                "reason": reason,
            }
            answer = floor.client.post("/api/v1/picks/short", json=body)
            assert answer.status_code == 201, answer.text
            return {"status": answer.json()["outcome"], "exceptions": answer.json()["exceptions"]}
        payload = StockShortPicked(
            wh="VAL", bin=bin, sku=sku, order=order, wanted=wanted, found=found, reason=reason
        )
        (result,) = push(floor.client, floor.picker, op_for(floor.picker, next(seq), payload)).res
        return {"status": result.st, "exceptions": [n.code for n in result.notes or []]}

    return pick, short


def _status(floor: Floor, order: str) -> tuple[str, str | None]:
    body = floor.client.get(f"/api/v1/orders/{order}").json()
    return body["status"], body.get("warehouse")


@pytest.mark.parametrize("path", PATHS)
def test_a_right_pick_is_applied_and_starts_the_order(
    client: Any, tokens: dict[str, str], database_url: str, path: str
) -> None:
    floor = open_floor(client, tokens, database_url, {("VAL", "A-01-01", "CASE-BLK"): 5})
    order = floor.order(client, "O-1", [("CASE-BLK", 2)], ship_by=FAR)
    _waves(floor)
    pick, _ = _picker(floor, path)
    assert pick("A-01-01", "CASE-BLK", 2, order) == {"status": "applied", "exceptions": []}
    assert _status(floor, order)[0] == "picking"
    assert bin_units(database_url) == {("A-01-01", "CASE-BLK"): 3, ("", "CASE-BLK"): 2}


@pytest.mark.parametrize("path", PATHS)
def test_a_sku_the_order_does_not_have_is_flagged_and_does_not_start_it(
    client: Any, tokens: dict[str, str], database_url: str, path: str
) -> None:
    shelves = {("VAL", "A-01-01", "CASE-BLK"): 5, ("VAL", "A-01-02", "SOAP-KOJIC"): 5}
    floor = open_floor(client, tokens, database_url, shelves)
    order = floor.order(client, "O-1", [("CASE-BLK", 1)], ship_by=FAR)
    pick, _ = _picker(floor, path)
    assert pick("A-01-02", "SOAP-KOJIC", 1, order) == {"status": "flagged", "exceptions": ["pick_wrong_item"]}
    assert _status(floor, order)[0] == "allocated"  # a wrong item is not the order's picking
    assert ("pick_wrong_item", order) in exceptions(database_url)
    # The unit did leave the shelf (a fact is never dropped): it waits in staging to go back.
    assert bin_units(database_url)[("", "SOAP-KOJIC")] == 1


@pytest.mark.parametrize("path", PATHS)
def test_more_than_the_order_wants_is_flagged(
    client: Any, tokens: dict[str, str], database_url: str, path: str
) -> None:
    floor = open_floor(client, tokens, database_url, {("VAL", "A-01-01", "CASE-BLK"): 9})
    order = floor.order(client, "O-1", [("CASE-BLK", 2)], ship_by=FAR)
    pick, _ = _picker(floor, path)
    assert pick("A-01-01", "CASE-BLK", 1, order)["status"] == "applied"
    assert pick("A-01-01", "CASE-BLK", 2, order) == {"status": "flagged", "exceptions": ["pick_over_qty"]}


@pytest.mark.parametrize("path", PATHS)
def test_a_bin_the_pick_list_does_not_name_is_flagged(
    client: Any, tokens: dict[str, str], database_url: str, path: str
) -> None:
    shelves = {("VAL", "A-01-01", "CASE-BLK"): 5, ("VAL", "A-05-01", "CASE-BLK"): 5}
    floor = open_floor(client, tokens, database_url, shelves)
    order = floor.order(client, "O-1", [("CASE-BLK", 1)], ship_by=FAR)
    _waves(floor)  # plans A-01-01, first along the walk
    pick, _ = _picker(floor, path)
    assert pick("A-05-01", "CASE-BLK", 1, order) == {"status": "flagged", "exceptions": ["pick_wrong_bin"]}
    assert _status(floor, order)[0] == "picking"  # the right item: the order is being picked
    assert bin_units(database_url)[("A-05-01", "CASE-BLK")] == 4


@pytest.mark.parametrize("path", PATHS)
def test_a_short_pick_is_replanned_from_another_bin(
    client: Any, tokens: dict[str, str], database_url: str, path: str
) -> None:
    shelves = {("VAL", "A-01-01", "CASE-BLK"): 1, ("VAL", "A-07-02", "CASE-BLK"): 5}
    floor = open_floor(client, tokens, database_url, shelves)
    order = floor.order(client, "O-1", [("CASE-BLK", 1)], ship_by=FAR)
    (wave,) = _waves(floor)
    assert [p["bin"] for p in wave["picks"]] == ["A-01-01"]
    _, short = _picker(floor, path)
    assert short("A-01-01", "CASE-BLK", order, 1, 0) == {"status": "flagged", "exceptions": ["short_pick"]}
    replanned = client.get(f"/api/v1/waves/{wave['id']}").json()
    assert [(p["bin"], p["qty"]) for p in replanned["picks"]] == [("A-07-02", 1)]
    assert _wave_entities(database_url)[wave["id"]]["picks"][0][0] == "A-07-02"  # the phone is told
    assert _status(floor, order) == ("allocated", "VAL")
    assert [k for k, _ in exceptions(database_url)] == ["short_pick"]


@pytest.mark.parametrize("path", PATHS)
def test_a_short_picks_reason_reaches_its_exception_and_the_pick_task(
    client: Any, tokens: dict[str, str], database_url: str, path: str
) -> None:
    """The picker's reason is in the short_pick exception's evidence and sentence, and on the order's
    pick task the phones hold, the same whichever path recorded it."""
    shelves = {("VAL", "A-01-01", "CASE-BLK"): 3, ("VAL", "A-07-02", "CASE-BLK"): 5}
    floor = open_floor(client, tokens, database_url, shelves)
    order = floor.order(client, "O-1", [("CASE-BLK", 2)], ship_by=FAR)
    _waves(floor)
    _, short = _picker(floor, path)
    assert short("A-01-01", "CASE-BLK", order, 2, 1, reason="damaged")["exceptions"] == ["short_pick"]
    query = {"kind": "short_pick", "order_id": order}
    (found,) = client.get("/api/v1/exceptions/", params=query).json()["items"]
    assert found["details"]["reason"] == "damaged"
    assert "the units there are damaged" in found["message"]
    with connect(database_url) as conn:
        task = scope_entities(conn, "wh:VAL")[("task", order)]
    assert task["short"] == [["CASE-BLK", "A-01-01", "damaged"]]


@pytest.mark.parametrize("path", PATHS)
def test_a_short_pick_no_bin_can_fill_moves_the_order_to_another_warehouse(
    client: Any, tokens: dict[str, str], database_url: str, path: str
) -> None:
    shelves = {("VAL", "A-01-01", "CASE-BLK"): 2, ("CEB", "A-01-01", "CASE-BLK"): 5}
    floor = open_floor(client, tokens, database_url, shelves)
    order = floor.order(client, "O-1", [("CASE-BLK", 2)], ship_by=FAR)
    (wave,) = _waves(floor)
    pick, short = _picker(floor, path)
    assert short("A-01-01", "CASE-BLK", order, 2, 1)["exceptions"] == ["short_pick"]
    assert _status(floor, order) == ("allocated", "CEB")
    kinds = sorted(k for k, _ in exceptions(database_url))
    assert kinds == ["short_pick", "short_pick_reallocated"]
    assert client.get(f"/api/v1/waves/{wave['id']}").json()["orders"] == []  # out of VAL's wave
    assert pick is not None


@pytest.mark.parametrize("path", PATHS)
def test_a_short_pick_nothing_can_fill_keeps_the_order_and_says_so(
    client: Any, tokens: dict[str, str], database_url: str, path: str
) -> None:
    floor = open_floor(client, tokens, database_url, {("VAL", "A-01-01", "CASE-BLK"): 1})
    order = floor.order(client, "O-1", [("CASE-BLK", 1)], ship_by=FAR)
    _, short = _picker(floor, path)
    assert short("A-01-01", "CASE-BLK", order, 1, 0)["status"] == "flagged"
    # It stays in VAL (the ledger still counts the unit until the bin is counted), and a person is told.
    assert _status(floor, order) == ("allocated", "VAL")
    assert sorted(k for k, _ in exceptions(database_url)) == ["short_pick", "short_pick_unfilled"]


def test_waves_group_by_the_shops_courier(client: Any, tokens: dict[str, str], database_url: str) -> None:
    floor = open_floor(client, tokens, database_url, {("VAL", "A-01-01", "CASE-BLK"): 20})
    made = client.post(
        "/api/v1/shops", json={"channel": "lazada", "code": "lazada-ph", "name": "Lazada", "courier": "jnt"}
    )
    assert made.status_code == 201, made.text and made.json()["courier"] == "jnt"
    assert client.patch("/api/v1/shops/shopee-main", json={"courier": "flash"}).json()["courier"] == "flash"
    bad = client.patch("/api/v1/shops/shopee-main", json={"courier": "no spaces!"})
    assert bad.status_code in (400, 422) and "courier" in bad.text
    floor.order(client, "C-1", [("CASE-BLK", 1)], ship_by=FAR)
    floor.order(client, "C-2", [("CASE-BLK", 1)], ship_by=FAR, shop="lazada-ph")
    floor.order(client, "C-3", [("CASE-BLK", 1)], ship_by=FAR, shop="lazada-ph")
    waves = _waves(floor, group_by="courier")
    by_key = {w["group_key"]: sorted(o["order"] for o in w["orders"]) for w in waves}
    assert by_key == {
        "flash": [floor.orders["C-1"]],
        "jnt": sorted([floor.orders["C-2"], floor.orders["C-3"]]),
    }
    assert {w["grouping"] for w in waves} == {"courier"}


@pytest.mark.parametrize("path", PATHS)
def test_a_pack_without_a_courier_goes_with_its_waves_courier(
    client: Any, tokens: dict[str, str], database_url: str, path: str
) -> None:
    """A wave grouped by courier is one courier's pickup: a pack that names no courier takes the
    wave's (the phones are told it with the wave), whichever path packs it; "" is our own riders."""
    floor = open_floor(client, tokens, database_url, {("VAL", "A-01-01", "CASE-BLK"): 20})
    assert client.patch("/api/v1/shops/shopee-main", json={"courier": "flash"}).status_code == 200
    first = floor.order(client, "C-1", [("CASE-BLK", 1)], ship_by=FAR)
    second = floor.order(client, "C-2", [("CASE-BLK", 1)], ship_by=FAR)
    (wave,) = _waves(floor, group_by="courier")
    assert [o[5] for o in _wave_entities(database_url)[wave["id"]]["orders"]] == ["flash", "flash"]
    # The shop changes couriers after the wave was built: its orders still go to the wave's pickup.
    assert client.patch("/api/v1/shops/shopee-main", json={"courier": "jnt"}).status_code == 200
    seq = itertools.count(1)

    def pack(order: str, courier: str | None = None) -> dict[str, Any]:
        if path == "console":
            body: dict[str, Any] = {
                "order": order,
                "lines": [{"sku": "CASE-BLK", "qty": 1}],
                "weight_grams": 100,
            }
            if courier is not None:
                body["courier"] = courier
            assert floor.client.post("/api/v1/parcels", json=body).status_code == 201
        else:
            op = ParcelPacked(
                wh="VAL", order=order, lines=[ParcelLine("CASE-BLK", 1)], weight_g=100, courier=courier
            )
            (result,) = push(floor.client, floor.picker, op_for(floor.picker, next(seq), op)).res
            assert result.st == "applied", result
        return floor.client.get(f"/api/v1/parcels/{order}").json()

    assert pack(first)["courier"] == "flash"
    own = pack(second, courier="")  # the packer chose our own riders
    assert own["courier"] == "" and own["waybill"].startswith("BDG")


def test_concurrent_wave_builds_plan_each_order_once(
    client: Any, tokens: dict[str, str], database_url: str
) -> None:
    import asyncio

    from sqlalchemy import func, select

    from server.db import Database
    from server.picking.models import Wave, WaveOrder
    from server.picking.waves import WaveSpec, build_waves
    from tests.conftest import run

    floor = open_floor(client, tokens, database_url, {("VAL", "A-01-01", "CASE-BLK"): 40})
    for n in range(12):
        floor.order(client, f"K-{n}", [("CASE-BLK", 1)], ship_by=FAR)

    async def race() -> tuple[list[Any], int, int, int]:
        db = Database(database_url)
        try:
            spec = WaveSpec("VAL", "priority", max_orders=2)
            now = datetime.now(UTC)
            built = await asyncio.gather(
                *(db.run_write(build_waves, spec, f"sup{n}", now) for n in range(4)), return_exceptions=True
            )

            def counts(conn: Any) -> tuple[int, int, int]:
                members = conn.execute(select(func.count()).select_from(WaveOrder)).scalar_one()
                distinct = conn.execute(select(func.count(func.distinct(WaveOrder.order_id)))).scalar_one()
                codes = conn.execute(select(func.count(func.distinct(Wave.code)))).scalar_one()
                return members, distinct, codes

            return [built, *(await db.run_read(counts))]  # type: ignore[return-value]
        finally:
            await db.dispose()

    built, members, distinct, codes = run(race())
    assert not [b for b in built if isinstance(b, BaseException)], built  # none failed
    waves = [w for b in built for w in b]
    assert members == distinct == 12  # every order planned, each in one wave
    assert len(waves) == codes == 6  # and every wave numbered apart
    # One build took them all; the others found nothing left to plan.
    assert sorted(len(b) for b in built) == [0, 0, 0, 6]

"""A courier's status reports: the webhook's signature (HMAC-SHA256 of the raw body with the
courier's secret), the mapping onto the order and RTS lifecycle through the domains' writers,
words nobody mapped waiting for a person, the status CSV; on both databases."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from server.couriers.models import CourierReject
from server.couriers.statuses import signature_ok
from server.db import Database
from tests.conftest import run
from tests.couriers.kit import FIXTURES, SECRET, add_courier, attach, seed_orders, sign, webhook

AT = "2026-12-01T14:22:00+08:00"


def _setup(admin: Any, url: str, orders: list[tuple[str, str, int]]) -> dict[str, Any]:
    ids = run(seed_orders(url, orders))
    add_courier(admin, "jnt", webhook_secret=SECRET)
    attach(admin, "jnt", {ids[k]: f"JT-{k}" for k, _, _ in orders})
    return ids


def _kept_webhooks(url: str) -> list[str]:
    async def read() -> list[str]:
        db = Database(url)
        try:
            async with db.read() as s:
                rows = await s.execute(
                    select(CourierReject.reason)
                    .where(CourierReject.source == "webhook")
                    .order_by(CourierReject.id)
                )
                return [r for (r,) in rows]
        finally:
            await db.dispose()

    return run(read())


def _status(admin: Any, order_id: Any) -> str:
    return admin.get(f"/api/v1/orders/{order_id}").json()["status"]


def test_signature_is_hmac_sha256_of_the_raw_body() -> None:
    body = b'{"events": []}'
    assert signature_ok("s3cret", body, sign(body, "s3cret"))
    assert signature_ok("s3cret", body, sign(body, "s3cret").removeprefix("sha256="))  # bare hex too
    assert signature_ok("s3cret", body, sign(body, "s3cret").upper().replace("SHA256=", "sha256="))
    assert not signature_ok("s3cret", body + b" ", sign(body, "s3cret"))  # the body changed
    assert not signature_ok("other", body, sign(body, "s3cret"))
    assert not signature_ok("s3cret", body, "")
    assert not signature_ok("", body, sign(body, ""))  # no secret set: nothing is trusted
    assert not signature_ok("s3cret", body, "sha256=zz\u00e9")  # not hex, not ASCII


def test_a_bad_signature_is_refused_and_kept(admin: Any, database_url: str) -> None:
    ids = _setup(admin, database_url, [("A", "shipped", 50000)])
    body = json.dumps({"events": [{"waybill": "JT-A", "status": "DELIVERED", "at": AT}]}).encode()
    public = {"Content-Type": "application/json"}
    wrong = admin.post(
        "/api/v1/couriers/jnt/webhook",
        content=body,
        headers={**public, "X-Courier-Signature": sign(body, "guess")},
    )
    assert wrong.status_code == 401 and wrong.headers["content-type"] == "application/problem+json"
    assert wrong.json()["errors"][0]["field"] == "X-Courier-Signature"
    missing = admin.post("/api/v1/couriers/jnt/webhook", content=body, headers=public)
    assert missing.status_code == 401
    assert _status(admin, ids["A"]) == "shipped"  # nothing applied
    assert _kept_webhooks(database_url) == ["bad signature", "bad signature"]  # refused, not lost
    # Signed right but not events: refused naming the body, kept too.
    junk = b'{"events": [{"waybill": "JT-A"}]}'
    bad = admin.post(
        "/api/v1/couriers/jnt/webhook", content=junk, headers={**public, "X-Courier-Signature": sign(junk)}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body"
    assert admin.post("/api/v1/couriers/nobody/webhook", content=body).status_code == 404


def test_events_move_the_order_through_the_writers(admin: Any, database_url: str) -> None:
    ids = _setup(
        admin, database_url, [("D", "packed", 50000), ("F", "shipped", 60000), ("R", "shipped", 70000)]
    )
    events = [
        {"waybill": "JT-D", "status": "PICKED UP", "at": "2026-11-30T09:00:00+08:00"},
        {"waybill": "JT-D", "status": "Delivered", "at": AT},  # the map is case-blind
        {"waybill": "JT-F", "status": "PROBLEMATIC", "reason": "CONSIGNEE NOT AROUND", "at": AT},
        {"waybill": "JT-R", "status": "PROBLEMATIC", "reason": "CUSTOMER REFUSED", "at": AT},
        {"waybill": "JT-R", "status": "RETURNING", "at": "2026-12-02T10:00:00+08:00"},
        {"waybill": "JT-R", "status": "RETURNED", "at": "2026-12-05T10:00:00+08:00"},
        {"waybill": "JT-NOPE", "status": "DELIVERED", "at": AT},
    ]
    answer = webhook(admin, "jnt", events)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "received": 7,
        "duplicates": 0,
        "applied": 6,
        "queued": 0,
        "unknown_waybills": 1,
        "rejected": 0,
    }
    assert _status(admin, ids["D"]) == "delivered"
    assert _status(admin, ids["F"]) == "failed_delivery"
    # Returned by the courier: the order stays return_to_sender until the warehouse takes it in.
    assert _status(admin, ids["R"]) == "return_to_sender"
    assert [(o, st) for o, st, _ in _rts(admin)] == [(str(ids["R"]), "returning")]  # by the RTS writer
    history = admin.get(f"/api/v1/orders/{ids['D']}/history").json()["items"]
    assert [h["to_status"] for h in history][-2:] == ["shipped", "delivered"]
    assert all(h["actor"] == "courier:jnt" for h in history[-2:])
    # The same reports again (a retried webhook) change nothing.
    again = webhook(admin, "jnt", events).json()
    assert (again["duplicates"], again["applied"]) == (7, 0)
    assert admin.get(f"/api/v1/orders/{ids['D']}/history").json()["items"] == history


def test_an_unknown_status_waits_for_a_person_then_applies(admin: Any, database_url: str) -> None:
    ids = _setup(admin, database_url, [("U", "shipped", 50000)])
    events = [{"waybill": "JT-U", "status": "DELIVERED TO NEIGHBOUR", "at": AT}]
    answer = webhook(admin, "jnt", events).json()
    assert (answer["applied"], answer["queued"]) == (0, 1)
    assert _status(admin, ids["U"]) == "shipped"  # never guessed
    waiting = admin.get("/api/v1/couriers/jnt/statuses/waiting").json()
    assert [(w["status"], w["events"], w["example_waybill"]) for w in waiting] == [
        ("DELIVERED TO NEIGHBOUR", 1, "JT-U")
    ]
    bad = admin.post(
        "/api/v1/couriers/jnt/statuses/map", json={"status": "DELIVERED TO NEIGHBOUR", "event": "guess"}
    )
    assert bad.status_code == 400 or bad.status_code == 422
    mapped = admin.post(
        "/api/v1/couriers/jnt/statuses/map", json={"status": "delivered to neighbour", "event": "delivered"}
    )
    assert mapped.status_code == 200 and mapped.json()["applied"] == 1
    assert _status(admin, ids["U"]) == "delivered"
    assert admin.get("/api/v1/couriers/jnt/statuses/waiting").json() == []
    assert admin.get("/api/v1/couriers/jnt").json()["status_map"]["DELIVERED TO NEIGHBOUR"] == "delivered"


def test_the_status_csv(admin: Any, database_url: str) -> None:
    ids = run(
        seed_orders(database_url, [("1", "packed", 129900), ("2", "shipped", 34900), ("3", "shipped", 59950)])
    )
    add_courier(admin, "jnt")
    attach(admin, "jnt", {ids[str(n)]: f"JT000000000{n}" for n in (1, 2, 3)})
    data = (FIXTURES / "jnt_status.csv").read_bytes()
    answer = admin.post("/api/v1/couriers/jnt/statuses", content=data)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "received": 4,
        "duplicates": 0,
        "applied": 3,
        "queued": 1,
        "unknown_waybills": 0,
        "rejected": 1,
    }
    assert [_status(admin, ids[n]) for n in ("1", "2", "3")] == ["delivered", "failed_delivery", "shipped"]
    again = admin.post("/api/v1/couriers/jnt/statuses", content=data).json()
    assert (again["duplicates"], again["applied"]) == (4, 0)


def test_waybills_are_one_per_order(admin: Any, database_url: str) -> None:
    ids = _setup(admin, database_url, [("A", "packed", 50000), ("B", "packed", 50000)])
    same = admin.post(
        "/api/v1/couriers/jnt/parcels", json={"parcels": [{"order": str(ids["A"]), "waybill": "JT-A"}]}
    )
    assert same.status_code == 200 and same.json() == {"attached": 0}
    taken = admin.post(
        "/api/v1/couriers/jnt/parcels", json={"parcels": [{"order": str(ids["B"]), "waybill": "JT-A"}]}
    )
    assert taken.status_code == 409
    assert taken.json()["errors"] == [
        {"field": "parcels[0].order", "message": "already handed over under waybill JT-B"}
    ]
    unknown = admin.post(
        "/api/v1/couriers/jnt/parcels",
        json={"parcels": [{"order": "00000000-0000-0000-0000-000000000001", "waybill": "JT-Z"}]},
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "parcels[0].order"


def test_a_second_delivery_counts_for_nothing_and_is_raised(admin: Any, database_url: str) -> None:
    ids = _setup(admin, database_url, [("T", "shipped", 50000)])
    events = [
        {"waybill": "JT-T", "status": "DELIVERED", "at": AT},
        {"waybill": "JT-T", "status": "DELIVERED", "at": "2026-12-02T09:00:00+08:00"},
    ]
    assert webhook(admin, "jnt", events).json()["applied"] == 2
    assert _status(admin, ids["T"]) == "delivered"
    raised = admin.get("/api/v1/exceptions", params={"order_id": str(ids["T"])}).json()["items"]
    assert [e["kind"] for e in raised] == ["double_delivery"]


def _rts(admin: Any) -> list[tuple[str, str, str | None]]:
    rows = admin.get("/api/v1/cod/rts").json()
    rows = rows["items"] if isinstance(rows, dict) else rows
    return [(r["order"], r["status"], r.get("returning_at")) for r in rows]


def _returning_at(url: str, order_id: Any) -> Any:
    from server.cod.models import RtsParcel

    async def read() -> Any:
        db = Database(url)
        try:
            async with db.read() as s:
                return (
                    await s.execute(select(RtsParcel.returning_at).where(RtsParcel.order_id == order_id))
                ).scalar_one()
        finally:
            await db.dispose()

    return run(read())


def test_returning_by_the_console_then_the_courier_is_written_once(admin: Any, database_url: str) -> None:
    ids = _setup(admin, database_url, [("R", "shipped", 70000)])
    refused = {"waybill": "JT-R", "status": "PROBLEMATIC", "reason": "CUSTOMER REFUSED", "at": AT}
    assert webhook(admin, "jnt", [refused]).json()["applied"] == 1
    assert [s for _, s, _ in _rts(admin)] == ["expected"]
    assert admin.post(f"/api/v1/cod/rts/{ids['R']}/returning").status_code in (200, 201)
    first = _returning_at(database_url, ids["R"])
    assert first is not None
    returning = {"waybill": "JT-R", "status": "RETURNING", "at": "2026-12-02T10:00:00+08:00"}
    assert webhook(admin, "jnt", [returning]).json()["applied"] == 1  # recorded as an event ...
    assert _returning_at(database_url, ids["R"]) == first  # ... but the fact is not written again
    assert [(o, s) for o, s, _ in _rts(admin)] == [(str(ids["R"]), "returning")]
    assert _status(admin, ids["R"]) == "return_to_sender"


def test_returning_by_the_courier_then_the_console_is_written_once(admin: Any, database_url: str) -> None:
    ids = _setup(admin, database_url, [("Q", "shipped", 45000)])
    # The courier sends it back on its own (its attempts ran out at its depot): no RTS parcel yet.
    returning = {"waybill": "JT-Q", "status": "RETURNING", "at": "2026-12-02T10:00:00+08:00"}
    assert webhook(admin, "jnt", [returning]).json()["applied"] == 1
    assert _status(admin, ids["Q"]) == "return_to_sender"
    assert [(o, s) for o, s, _ in _rts(admin)] == [(str(ids["Q"]), "returning")]
    first = _returning_at(database_url, ids["Q"])
    again = admin.post(f"/api/v1/cod/rts/{ids['Q']}/returning")
    assert again.status_code == 409  # the supervisor is told it is already on its way
    assert _returning_at(database_url, ids["Q"]) == first
    # A delivered parcel the courier (wrongly) calls returning is left alone.
    ids2 = run(_delivered_order(database_url))
    attach(admin, "jnt", {ids2: "JT-DONE"})
    late = {"waybill": "JT-DONE", "status": "RETURNING", "at": "2026-12-03T10:00:00+08:00"}
    assert webhook(admin, "jnt", [late]).json()["applied"] == 1
    assert _status(admin, ids2) == "delivered"
    assert len(_rts(admin)) == 1


async def _delivered_order(url: str) -> Any:
    from tests.couriers.kit import write_orders

    db = Database(url)
    try:
        return (await db.run_write(write_orders, [("DONE", "delivered", 30000)]))["DONE"]
    finally:
        await db.dispose()


def test_a_labelled_order_is_attached_only_under_its_labels_waybill(admin: Any, database_url: str) -> None:
    import uuid

    from sqlalchemy import insert

    from server.inventory.models import Warehouse
    from server.shipping.models import Parcel
    from tests.kit.sync import connect

    ids = run(seed_orders(database_url, [("L", "packed", 50000), ("M", "packed", 40000)]))
    add_courier(admin, "jnt", webhook_secret=SECRET)
    with connect(database_url) as conn:
        val = conn.execute(select(Warehouse.id).where(Warehouse.code == "VAL")).scalar_one()
        for key, waybill, courier in (("L", "JT0000000777", "jnt"), ("M", "BDG0000000001", "")):
            conn.execute(
                insert(Parcel).values(
                    id=uuid.uuid4(),
                    order_id=ids[key],
                    warehouse_id=val,
                    waybill=waybill,
                    courier=courier,
                    weight_grams=0,
                    parcel_count=1,
                    lines=[],
                    packed_by="t",
                )
            )
        conn.commit()
    wrong = admin.post(
        "/api/v1/couriers/jnt/parcels", json={"parcels": [{"order": str(ids["L"]), "waybill": "JT-X"}]}
    )
    assert wrong.status_code == 409
    assert wrong.json()["errors"] == [
        {"field": "parcels[0].waybill", "message": "the order's label carries waybill JT0000000777"}
    ]
    own = admin.post(
        "/api/v1/couriers/jnt/parcels",
        json={"parcels": [{"order": str(ids["M"]), "waybill": "BDG0000000001"}]},
    )
    assert own.status_code == 409 and "our own riders" in own.text
    ok = admin.post(
        "/api/v1/couriers/jnt/parcels",
        json={"parcels": [{"order": str(ids["L"]), "waybill": "JT0000000777"}]},
    )
    assert ok.status_code == 200 and ok.json() == {"attached": 1}

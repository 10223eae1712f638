"""Cycle count tasks: a supervisor asks for counts, the warehouse phones get the tasks, and a task
leaves them once each of its targets has been counted (or a supervisor closes it)."""

from __future__ import annotations

from typing import Any

from sync import StockCounted, SyncRequest
from tests.conftest import auth
from tests.kit.sync import op_for, post, pull, seed


def test_count_tasks_reach_the_phones_and_close_when_counted(
    database_url: str, client: Any, tokens: dict[str, str]
) -> None:
    world = seed(database_url)
    supervisor = auth(tokens["supervisor"])
    phone = world.phones["wh1"]

    def create(body: dict[str, Any]) -> Any:
        return client.post("/api/v1/count-tasks/", json=body, headers=supervisor)

    bad = create({"warehouse": "W", "bin": "NOPE", "skus": ["S1", "GONE"]})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["bin", "skus[1]"]
    assert create({"warehouse": "W"}).json()["errors"][0]["field"] == "bin"
    assert create({"warehouse": "XX", "bin": "B1"}).json()["errors"][0]["field"] == "warehouse"
    assert (
        client.post(
            "/api/v1/count-tasks/", json={"warehouse": "W", "bin": "B1"}, headers=auth(tokens["warehouse"])
        ).status_code
        == 403
    )

    whole_bin = create({"warehouse": "W", "bin": "B1"}).json()
    wherever = create({"warehouse": "W", "skus": ["S2"], "title": "Kojic soap, all bins"}).json()
    by_hand = create({"warehouse": "W", "bin": "B2", "skus": ["S1"]}).json()
    assert whole_bin["title"] == "Bin B1" and whole_bin["status"] == "open"

    first = pull(client, phone)
    tasks = {c.key: c.val for c in first.ch if c.kind == "count_task"}
    assert tasks == {
        whole_bin["id"]: {"bin": "B1", "skus": [], "title": "Bin B1", "status": "open"},
        wherever["id"]: {"skus": ["S2"], "title": "Kojic soap, all bins", "status": "open"},
        by_hand["id"]: {"bin": "B2", "skus": ["S1"], "title": "Bin B2", "status": "open"},
    }

    # The picker counts bin B1 (one SKU is enough: the phone counts a bin's SKUs together) and S2 in B3.
    ops = [
        op_for(phone, 1, StockCounted(wh="W", bin="B1", sku="S1", counted=0, empty=True)),
        op_for(phone, 2, StockCounted(wh="W", bin="B3", sku="S2", counted=0, empty=True)),
    ]
    assert post(client, phone, SyncRequest(v=1, ops=ops, pull=False), endpoint="push").status_code == 200
    after = pull(client, phone, first.cur)
    gone = {c.key for c in after.ch if c.kind == "count_task" and c.val is None}
    assert gone == {whole_bin["id"], wherever["id"]}  # B2/S1 has not been counted yet

    done = client.get("/api/v1/count-tasks/?warehouse=W&status=done", headers=supervisor).json()
    assert {t["id"]: t["done_by"] for t in done["items"]} == {
        whole_bin["id"]: "counted",
        wherever["id"]: "counted",
    }

    closed = client.post(f"/api/v1/count-tasks/{by_hand['id']}/close", headers=supervisor)
    assert closed.status_code == 201 and closed.json()["done_by"] == "user:test-supervisor"
    last = pull(client, phone, after.cur)
    assert [(c.kind, c.key, c.val) for c in last.ch] == [("count_task", by_hand["id"], None)]
    again = client.post(f"/api/v1/count-tasks/{by_hand['id']}/close", headers=supervisor)
    assert again.status_code == 409
    # Warehouse staff list their own warehouse's tasks (wh1 works in W).
    listed = client.get("/api/v1/count-tasks/?status=open", headers=auth(phone.token))
    assert listed.status_code == 200 and listed.json()["total"] == 0

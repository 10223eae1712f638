"""A seller's house for the COD tests: warehouses and SKUs with stock, users of every role, a
rider (rider1) with a phone, orders made over REST and walked to where a test needs them."""

from __future__ import annotations

import uuid
from collections import defaultdict
from typing import Any

import msgspec
from sqlalchemy import select

from server.orders.models import Order
from sync import HLCTimestamp, OpResult, PushResponse, SyncRequest, decode, wall_clock_ms
from tests.conftest import auth, run
from tests.kit.sync import Phone, add_phone, connect, op_for, post, pull
from tests.kit.world import order_payload, seed_world

RIDER = "rider1"
STOCK = {("CASE-BLK", "VAL"): 500, ("CABLE-1M", "VAL"): 500, ("SOAP-KOJIC", "VAL"): 500}


class Home:
    def __init__(self, url: str, http: Any, tokens: dict[str, str]) -> None:
        self.url = url
        self.http = http
        self.tokens = tokens
        run(seed_world(url, STOCK))
        with connect(url) as conn:
            self.rider = add_phone(conn, RIDER, "rider", None)
            self.rider2 = add_phone(conn, "rider2", "rider", None)
            conn.commit()
        self.seq: dict[str, int] = defaultdict(int)

    def rest(
        self, method: str, path: str, body: Any = None, *, role: str = "supervisor", ok: int = 200
    ) -> Any:
        response = self.http.request(method, path, json=body, headers=auth(self.tokens[role]))
        assert response.status_code == ok, response.text
        return response.json() if response.content else None

    def order(self, external_id: str, lines: list[tuple[str, int]] | None = None, **overrides: Any) -> str:
        body = order_payload(external_id, lines or [("CASE-BLK", 1)], **overrides)
        made = self.rest("POST", "/api/v1/orders", body, role="admin", ok=201)
        return str(made["id"])

    def walk(self, order: str, *statuses: str) -> None:
        for status in statuses:
            self.rest("POST", f"/api/v1/orders/{order}/status", {"status": status, "reason": "test"}, ok=201)

    def shipped(self, external_id: str, **overrides: Any) -> str:
        oid = self.order(external_id, **overrides)
        self.walk(oid, "picking", "packed", "shipped")
        return oid

    def cod(self, order: str) -> int:
        return int(self.rest("GET", f"/api/v1/orders/{order}")["cod_amount"])

    def status(self, order: str) -> str:
        return str(self.rest("GET", f"/api/v1/orders/{order}")["status"])

    def run_of(self, *orders: str, rider: str = RIDER) -> str:
        body = {"rider": rider, "stops": [{"order": o, "waybill": f"WB-{o[:8]}"} for o in orders]}
        return str(self.rest("POST", "/api/v1/runs", body, ok=201)["id"])

    def push(
        self, payload: msgspec.Struct, phone: Phone | None = None, *, op_id: uuid.UUID | None = None
    ) -> OpResult:
        who = phone or self.rider
        self.seq[who.username] += 1
        hlc = HLCTimestamp(wall_clock_ms() + 1000, 0).encode()
        op = op_for(who, self.seq[who.username], payload, hlc=hlc, op_id=op_id)
        response = post(self.http, who, SyncRequest(v=1, ops=[op], pull=False), endpoint="push")
        assert response.status_code == 200, response.text
        return decode(response.content, PushResponse, "json").res[0]

    def pull(self, phone: Phone | None = None) -> dict[tuple[str, str], Any]:
        """The phone's live entities: (kind, key) -> value."""
        who = phone or self.rider
        out: dict[tuple[str, str], Any] = {}
        cur: str | None = None
        while True:
            answer = pull(self.http, who, cur)
            for c in answer.ch:
                if c.val is None:
                    out.pop((c.kind, c.key), None)
                else:
                    out[(c.kind, c.key)] = c.val
            if not answer.more:
                return out
            cur = answer.cur

    def exceptions(self, *kinds: str) -> list[dict[str, Any]]:
        found = self.rest("GET", "/api/v1/exceptions?status=open&limit=200")
        items = found["items"] if isinstance(found, dict) else found
        return [x for x in items if not kinds or x["kind"] in kinds]

    def external(self, order: str) -> str:
        with connect(self.url) as conn:
            return conn.execute(select(Order.external_id).where(Order.id == uuid.UUID(order))).scalar_one()

"""The console's live exception stream (GET /api/v1/exceptions/stream, server-sent events), through
`bodega serve` itself: on SQLite in-process (the write ran in the writer child process), on
PostgreSQL across two server processes (LISTEN/NOTIFY): raised on one, heard on the other."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx

from server.bench.harness import running_server
from tests.conftest import auth
from tests.kit.sync import ADDRESS, seed


def _events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs from an SSE body, keep-alive comments skipped."""
    event, data = "", ""
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:"):
            data = line[5:].strip()
        elif line == "" and event:
            yield event, json.loads(data or "{}")
            event, data = "", ""


def _held_order(url: str, admin: dict[str, str], external_id: str) -> str:
    order = {
        "shop": "shop",
        "external_id": external_id,
        "payment_method": "cod",
        "placed_at": "2026-11-11T00:05:00+08:00",
        "address": ADDRESS,
        "lines": [{"sku": "S1", "qty": 3, "unit_price": "150.00"}],
    }
    held = httpx.post(f"{url}/api/v1/orders", json=order, headers=admin, timeout=20)
    assert held.status_code == 201 and held.json()["status"] == "on_hold", held.text
    return str(held.json()["id"])


def test_an_exception_raised_on_one_server_reaches_the_stream_on_another(
    database_url: str, tokens: dict[str, str]
) -> None:
    # One SQLite file has one server (its one writer); several server processes is PostgreSQL's case.
    servers = 1 if database_url.startswith("sqlite") else 2
    seed(database_url)
    admin, supervisor = auth(tokens["admin"]), auth(tokens["supervisor"])
    with ExitStack() as stack:
        running = [stack.enter_context(running_server(database_url)) for _ in range(servers)]
        writer, watcher = running[0].url, running[-1].url
        # The rider may not listen; the supervisor may.
        denied = httpx.get(f"{watcher}/api/v1/exceptions/stream", headers=auth(tokens["rider"]), timeout=10)
        assert denied.status_code == 403
        with httpx.stream(
            "GET", f"{watcher}/api/v1/exceptions/stream", headers=supervisor, timeout=20
        ) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = _events(stream.iter_lines())
            assert next(events)[0] == "ready"
            order_id = _held_order(writer, admin, "SHP-LIVE-1")
            event, raised = next(events)
            assert event == "exception"
            assert raised["order_id"] == order_id and raised["status"] == "open"
            assert raised["kind"] == "order_on_hold" and raised["order"]

            done = httpx.post(
                f"{writer}/api/v1/exceptions/{raised['id']}/resolve",
                json={"resolution": "restock arrives Monday; buyer agreed"},
                headers=supervisor,
                timeout=20,
            )
            assert done.status_code == 201, done.text
            event, resolved = next(events)
            assert (event, resolved["id"], resolved["status"]) == ("exception", raised["id"], "resolved")

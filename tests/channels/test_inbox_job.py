"""Webhook -> order through the durable jobs, no one calling process_inbox: storing a verified
webhook asks for the inbox job in the same transaction, the worker runs it, hint-only webhooks are
fetched from the (fake) platform API through the shop's connection, and a periodic sweep tries held
webhooks again once their listing is mapped."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.channels.stock_services import ConnectionIn, set_connection
from server.db import Database
from server.intake.jobs import INBOX, SWEEP_EVERY_S, process_webhooks
from server.jobs import Worker
from server.jobs.models import Job
from server.jobs.worker import Handler
from server.writes import finish
from tests.channels.fakes import KEY, SECRET, TOKEN, fake_platforms
from tests.channels.test_webhooks import APP_KEY, FIXTURES, _webhook_states, fixture, order, post, read
from tests.channels.test_webhooks import world as world
from tests.conftest import run


@pytest.fixture(autouse=True)
def no_background_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # The test runs the worker itself, with a clock it moves (the app's would race it).
    monkeypatch.setenv("BODEGA_JOBS_WORKER", "0")


class Clock:
    def __init__(self) -> None:
        self.at = datetime.fromtimestamp(int(time.time()) + 5, UTC)

    def __call__(self) -> datetime:
        return self.at


def _inbox_job(conn: Connection) -> tuple[str, datetime] | None:
    row = conn.execute(select(Job.state, Job.run_at).where(Job.kind == INBOX)).first()
    return (row[0], row[1]) if row else None


def _connect(conn: Connection, base: str) -> None:
    # One row per shop (server/channels/connection.py): the API connection joins the webhook
    # settings already there and leaves them as they were. TikTok's app key signs both its API
    # calls and its webhooks, so it is the one the webhooks were set up with.
    for code, platform, key in (("shopee-ph", "shopee", KEY), ("tiktok-main", "tiktok", APP_KEY)):
        set_connection(
            conn,
            code,
            ConnectionIn(
                platform=cast(Any, platform),
                base_url=base,
                app_key=key,
                app_secret=SECRET,
                access_token=TOKEN,
            ),
            "test",
        )


def test_a_webhook_becomes_an_order_through_the_worker(admin: Any, world: str) -> None:
    clock = Clock()
    with fake_platforms() as (base, state):
        shopee = fixture("shopee", "order_detail_cod")["response"]["order_list"][0]
        state.orders["shopee"] = [{**shopee, "update_time": 1}]
        tiktok = fixture("tiktok", "order_detail")["data"]["orders"][0]
        state.orders["tiktok"] = [{**tiktok, "update_time": 1}]

        async def go(steps: Any) -> Any:
            db = Database(world, finish=finish)
            try:
                return await steps(db)
            finally:
                await db.dispose()

        async def connect(db: Database) -> None:
            await db.run_write(_connect, base)

        run(go(connect))
        assert read(world, _inbox_job) is None  # nothing asked for before a webhook
        hint = (FIXTURES / "shopee" / "push_order_status.json").read_bytes()
        assert post(admin, "shopee-ph", "shopee", hint).status_code == 200
        web = json.dumps(fixture("shopify", "order_cod")).encode()
        assert (
            post(admin, "shopify-web", "shopify", web, **{"X-Shopify-Topic": "orders/create"}).status_code
            == 200
        )
        # TikTok's order has a listing nobody mapped yet: held, then swept again once mapped.
        assert (
            post(
                admin,
                "tiktok-main",
                "tiktok",
                (FIXTURES / "tiktok" / "webhook_order_status.json").read_bytes(),
            ).status_code
            == 200
        )
        job = read(world, _inbox_job)
        assert job is not None and job[0] == "ready"  # asked for in the webhook's own transaction

        worker_jobs: dict[str, Handler] = {INBOX: process_webhooks}

        async def once(db: Database) -> list[str]:
            return [o for j, o in await Worker(db, worker_jobs, clock=clock).run_once() if j.kind == INBOX]

        assert run(go(once)) == ["done"]
        assert order(admin, "2611110ABCDE12")["cod_amount"] == 115250  # fetched from the platform
        assert order(admin, "5801234567890")["payment_method"] == "cod"  # the web store sent it whole
        assert read(world, _webhook_states) == ["done", "done", "held"]
        job = read(world, _inbox_job)
        assert job == ("ready", clock.at + timedelta(seconds=SWEEP_EVERY_S))  # the periodic sweep

        mapped = admin.post(
            "/api/v1/listings",
            json={
                "shop": "tiktok-main",
                "item_id": "1731000000000000001",
                "model_id": "1732000000000000001",
                "sku": "TUM",
            },
        )
        assert mapped.status_code == 201, mapped.text
        assert run(go(once)) == []  # not due yet
        clock.at += timedelta(seconds=SWEEP_EVERY_S)
        assert run(go(once)) == ["done"]
        assert read(world, _webhook_states) == ["done", "done", "done"]
        assert order(admin, "579123456789012345")["payment_method"] in ("cod", "prepaid")
        # A redelivered hint is stored once more as a new event only if its body differs: same
        # body, same event key, nothing new to do, the order is not doubled.
        assert post(admin, "shopee-ph", "shopee", hint).status_code == 200
        clock.at += timedelta(seconds=1)
        assert run(go(once)) == ["done"]
        items = admin.get("/api/v1/orders", params={"external_id": "2611110ABCDE12"}).json()["items"]
        assert len(items) == 1
        assert state.bad_signatures == 0


def test_processing_gives_way_to_acknowledgements_under_way() -> None:
    """The inbox job waits while a webhook is being stored (its acknowledgement first) and goes on
    once deliveries pause; a flood that never pauses still lets it through after MAX_WAIT_S."""
    import asyncio

    from server.intake import jobs

    async def go() -> None:
        deliveries = jobs.Deliveries()
        with deliveries.store():
            waiting = asyncio.create_task(deliveries.lull())
            for _ in range(5):
                await asyncio.sleep(0)
            assert not waiting.done()  # a store is under way: processing waits
        await asyncio.wait_for(waiting, timeout=jobs.MAX_WAIT_S)  # the lull came
        started = time.monotonic()
        with deliveries.store():  # a delivery that never ends: the wait is bounded
            await deliveries.lull()
        assert time.monotonic() - started >= jobs.MAX_WAIT_S * 0.9

    run(go())

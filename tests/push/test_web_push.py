"""Web push end to end against a push service on localhost that decrypts what it receives
(http_ece, aes128gcm, with the keys the 'browser' made) and checks the VAPID JWT.

A held order raises an exception; the durable push job sends it to the supervisor's subscription
with Topic/Urgency/TTL; 410 deletes a subscription; 429 with Retry-After is retried when asked;
a revoked device's subscriptions go with it; the VAPID pair survives a restart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from server.alerts.jobs import notify_round
from server.app import create_app
from server.bench.push_receiver import PushReceiver
from server.db import Database
from server.db.base import utcnow
from server.exceptions import raising
from server.exceptions.raising import NOTIFY_JOB
from server.jobs import Worker
from server.jobs.models import Job
from server.jobs.worker import Handler
from server.push.alerts import RETRY_JOB, PushService, push_retry
from server.push.models import PushSubscription
from server.settings import load_settings
from tests.conftest import auth, run
from tests.kit.sync import ADDRESS, engine_for, seed


class Clock:
    def __init__(self) -> None:
        self.at = utcnow()

    def __call__(self) -> datetime:
        return self.at


def _app(url: str) -> Any:
    settings = load_settings(database_url=url, secret_key="test-secret", log_level="WARNING")
    # The test drives the job worker itself (run_once with a clock), so nothing runs behind its back.
    return create_app(dataclasses.replace(settings, writer_process=False, jobs_worker=False))


@pytest.fixture
def receiver() -> Iterator[PushReceiver]:
    service = PushReceiver()
    yield service
    service.close()


@pytest.fixture
def app_client(database_url: str) -> Iterator[TestClient[Any]]:
    with TestClient(_app(database_url), raise_server_exceptions=False) as client:
        yield client


def _held_order(client: TestClient[Any], admin: dict[str, str], external_id: str) -> str:
    order = {
        "shop": "shop",
        "external_id": external_id,
        "payment_method": "cod",
        "placed_at": "2026-11-11T00:05:00+08:00",
        "address": ADDRESS,
        "lines": [{"sku": "S1", "qty": 3, "unit_price": "150.00"}],
    }
    held = client.post("/api/v1/orders", json=order, headers=admin)
    assert held.status_code == 201 and held.json()["status"] == "on_hold", held.text
    found = client.get(f"/api/v1/exceptions/?order_id={held.json()['id']}", headers=admin).json()
    return found["items"][0]["id"]


def _work(url: str, clock: Clock) -> list[tuple[str, str]]:
    """One round of the notification and push jobs, as the app's worker runs them."""

    async def go() -> list[tuple[str, str]]:
        db = Database(url)
        push = PushService(db, clock=clock)
        push.listen()
        try:
            handlers: dict[str, Handler] = {NOTIFY_JOB: notify_round, RETRY_JOB: push_retry}
            worker = Worker(db, handlers, clock=clock, services={"push": push})
            return [(job.kind, outcome) for job, outcome in await worker.run_once()]
        finally:
            push.close()
            await db.dispose()

    return run(go())


def _subscriptions(url: str) -> set[str]:
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            return {e.rsplit("/", 1)[-1] for e in conn.execute(select(PushSubscription.endpoint)).scalars()}
    finally:
        engine.dispose()


def test_a_raised_exception_reaches_the_supervisors_browser_encrypted_and_signed(
    database_url: str, app_client: TestClient[Any], tokens: dict[str, str], receiver: PushReceiver
) -> None:
    seed(database_url)
    admin, supervisor, rider = auth(tokens["admin"]), auth(tokens["supervisor"]), auth(tokens["rider"])
    key = app_client.get("/api/v1/push/key", headers=supervisor)
    assert key.status_code == 200, key.text
    receiver.vapid_key = key.json()["public_key"]
    made = app_client.post(
        "/api/v1/push/subscriptions", json=receiver.subscription("sup"), headers=supervisor
    )
    assert made.status_code == 201, made.text
    # A rider subscribed too, but exceptions are for supervisors and admins.
    assert (
        app_client.post(
            "/api/v1/push/subscriptions", json=receiver.subscription("rider"), headers=rider
        ).status_code
        == 201
    )

    exception_id = _held_order(app_client, admin, "SHP-PUSH-1")
    assert _work(database_url, Clock()) == [(NOTIFY_JOB, "done")]

    got = receiver.wait_for(1)
    assert receiver.rejected == []
    assert [r.name for r in got] == ["sup"]
    message = got[0]
    assert message.payload["url"] == f"/exceptions/{exception_id}"
    assert message.payload["exception"] == exception_id
    assert "SHP-PUSH-1" in message.payload["body"]
    # Topic: a newer alert about this exception replaces an undelivered older one.
    assert message.topic == message.payload["tag"] == exception_id.replace("-", "")
    assert message.urgency == "high" and message.ttl == 24 * 3600
    assert message.claims["aud"] == receiver.origin and message.claims["sub"].startswith("mailto:")
    listed = app_client.get("/api/v1/push/subscriptions", headers=supervisor).json()
    assert [s["last_sent_at"] is not None for s in listed] == [True]
    # The job is done: another round sends nothing more.
    assert _work(database_url, Clock()) == []
    assert len(receiver.received) == 1


def test_acknowledged_assigned_and_resolved_alerts_leave_the_other_phones(
    database_url: str,
    app_client: TestClient[Any],
    tokens: dict[str, str],
    receiver: PushReceiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two supervisors get an alert; once one of them acknowledges, takes or resolves it, the
    other's phone is sent a message with the same Topic and tag that closes it (pwa/src/sw.js), and
    an assignee is pushed that it is theirs."""
    world = seed(database_url)
    admin, mine, other = auth(tokens["admin"]), auth(tokens["supervisor"]), auth(world.phones["sup"].token)
    receiver.vapid_key = app_client.get("/api/v1/push/key", headers=mine).json()["public_key"]
    for name, who in (("mine", mine), ("other", other)):
        made = app_client.post("/api/v1/push/subscriptions", json=receiver.subscription(name), headers=who)
        assert made.status_code == 201, made.text
    # The API stamps changes with the real time, so the rounds run at the real time too, and
    # back to back: no gap between rounds here (tests/jobs/test_jobs.py tests the gap).
    monkeypatch.setattr(raising, "NOTIFY_GAP_S", 0.0)
    clock = Clock()

    def round_() -> list[Any]:
        before = len(receiver.received)
        clock.at = utcnow()
        assert _work(database_url, clock) == [(NOTIFY_JOB, "done")]
        return sorted(receiver.wait_for(before + 2)[before:], key=lambda r: r.name)

    first = _held_order(app_client, admin, "SHP-PUSH-ACK")
    raised = round_()
    assert [(r.name, r.payload["exception"]) for r in raised] == [("mine", first), ("other", first)]
    ack = app_client.post(f"/api/v1/exceptions/{first}/acknowledge", headers=mine)
    assert ack.status_code == 200, ack.text
    settled = round_()
    assert [(r.name, r.payload["close"], r.payload["event"]) for r in settled] == [
        ("mine", True, "acknowledged"),
        ("other", True, "acknowledged"),
    ]
    # The same Topic (the push service drops a raise still waiting for an offline phone) and tag.
    assert {(r.topic, r.payload["tag"]) for r in settled} == {(raised[0].topic, raised[0].payload["tag"])}
    assert settled[1].payload["body"] == "Nakita na ni test-supervisor" and settled[1].urgency == "normal"

    second = _held_order(app_client, admin, "SHP-PUSH-ASSIGN")
    assert {r.payload["exception"] for r in round_()} == {second}
    given = app_client.post(f"/api/v1/exceptions/{second}/assign", json={"to": "sup"}, headers=admin)
    assert given.status_code == 200, given.text
    mine_got, other_got = round_()
    assert mine_got.payload["close"] and mine_got.payload["body"] == "Hawak na ni sup"
    assert "close" not in other_got.payload and other_got.payload["title"].startswith("Sa iyo na")
    assert other_got.topic == mine_got.topic == second.replace("-", "")
    done = app_client.post(
        f"/api/v1/exceptions/{second}/resolve", json={"resolution": "restocked S1"}, headers=other
    )
    assert done.status_code in (200, 201), done.text
    assert [(r.name, r.payload["close"], r.payload["body"]) for r in round_()] == [
        ("mine", True, "Naayos na ni sup"),
        ("other", True, "Naayos na ni sup"),
    ]
    clock.at = utcnow()
    assert _work(database_url, clock) == []  # told once
    assert receiver.rejected == []


def test_410_deletes_the_subscription_and_429_is_retried_after_the_time_asked(
    database_url: str, app_client: TestClient[Any], tokens: dict[str, str], receiver: PushReceiver
) -> None:
    seed(database_url)
    admin, supervisor = auth(tokens["admin"]), auth(tokens["supervisor"])
    for name in ("expired", "busy", "fine"):
        r = app_client.post(
            "/api/v1/push/subscriptions", json=receiver.subscription(name), headers=supervisor
        )
        assert r.status_code == 201, r.text
    receiver.answer("expired", 410)
    receiver.answer("busy", 429, {"Retry-After": "120"})
    receiver.answer("busy", 503)  # still busy on the first retry: back-off

    _held_order(app_client, admin, "SHP-PUSH-2")
    clock = Clock()
    assert _work(database_url, clock) == [(NOTIFY_JOB, "done")]
    assert [r.name for r in receiver.received] == ["fine"]
    assert _subscriptions(database_url) == {"busy", "fine"}  # the 410 one is gone

    engine = engine_for(database_url)
    with engine.connect() as conn:
        retry = conn.execute(select(Job.run_at, Job.state).where(Job.kind == RETRY_JOB)).one()
    assert retry.state == "ready"
    assert timedelta(seconds=115) < retry.run_at - clock.at <= timedelta(seconds=125)
    assert _work(database_url, clock) == []  # not before the time the service asked for

    clock.at += timedelta(seconds=121)
    assert _work(database_url, clock) == [(RETRY_JOB, "ready")]  # the 503: backs off again
    with engine.connect() as conn:
        again = conn.execute(select(Job.run_at, Job.attempts).where(Job.kind == RETRY_JOB)).one()
    assert again.run_at > clock.at and again.attempts == 1
    clock.at = again.run_at + timedelta(seconds=1)
    assert _work(database_url, clock) == [(RETRY_JOB, "done")]
    engine.dispose()
    assert sorted(r.name for r in receiver.received) == ["busy", "fine"]
    assert receiver.rejected == []


def test_subscriptions_belong_to_their_user_and_device_and_a_revoked_device_loses_them(
    database_url: str, app_client: TestClient[Any], tokens: dict[str, str], receiver: PushReceiver
) -> None:
    admin, supervisor = auth(tokens["admin"]), auth(tokens["supervisor"])
    sub = receiver.subscription("phone")
    first = app_client.post("/api/v1/push/subscriptions", json=sub, headers=supervisor)
    assert first.status_code == 201, first.text
    # The same browser subscribing again replaces its row rather than adding one.
    again = app_client.post("/api/v1/push/subscriptions", json=sub, headers=supervisor)
    assert again.json()["id"] == first.json()["id"]
    assert len(app_client.get("/api/v1/push/subscriptions", headers=supervisor).json()) == 1
    assert app_client.get("/api/v1/push/subscriptions", headers=admin).json() == []
    # Another user cannot remove it; an unknown id is a 404 naming the field.
    other = app_client.delete(f"/api/v1/push/subscriptions/{first.json()['id']}", headers=admin)
    assert other.status_code == 404 and other.json()["errors"][0]["field"] == "subscription_id"

    for p256dh in ("not base64!", "B" + "A" * 86):  # not base64url; base64url but not a point on P-256
        bad = dict(sub, keys={"p256dh": p256dh, "auth": sub["keys"]["auth"]})
        refused = app_client.post("/api/v1/push/subscriptions", json=bad, headers=supervisor)
        assert refused.status_code in (400, 422), refused.text
        assert "p256dh" in refused.json()["errors"][0]["field"]

    device = first.json()["device_id"]
    revoked = app_client.post(f"/api/v1/devices/{device}/revoke", headers=admin)
    assert revoked.status_code == 200, revoked.text
    assert _subscriptions(database_url) == set()


def test_the_vapid_key_pair_is_made_once_and_kept_across_restarts(
    database_url: str, tokens: dict[str, str]
) -> None:
    keys = []
    for _ in range(2):
        with TestClient(_app(database_url), raise_server_exceptions=False) as client:
            r = client.get("/api/v1/push/key", headers=auth(tokens["rider"]))
            assert r.status_code == 200, r.text
            keys.append(r.json()["public_key"])
    assert keys[0] == keys[1] and len(keys[0]) == 87  # 65 bytes, base64url without padding

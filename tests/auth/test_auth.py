"""Logging in and out, the login throttle, users and devices."""

import asyncio
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from server.app import create_app
from server.auth import services
from server.auth.models import LoginAttempt
from server.db import Database
from server.db.base import utcnow
from server.errors import InvalidInput
from server.inventory.models import Warehouse
from server.settings import TrustedProxies, load_settings
from tests.conftest import auth, run
from tests.kit.sync import connect

PROBLEM = "application/problem+json"


def login(client: Any, username: str, password: str, device_name: str = "test phone") -> Any:
    return client.post(
        "/api/v1/auth/login", json={"username": username, "password": password, "device_name": device_name}
    )


def user_id(admin: Any, username: str) -> str:
    users = admin.get("/api/v1/users", params={"limit": 500}).json()["items"]
    return next(u["id"] for u in users if u["username"] == username)


# ---- logging in ------------------------------------------------------------------------------


def test_login_gives_a_token_that_works(client: Any, tokens: dict[str, str]) -> None:
    response = login(client, "test-rider", "rider-password", "Juan's Redmi")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"].startswith("bdg_")
    assert body["user"]["username"] == "test-rider" and body["user"]["role"] == "rider"
    assert "password_hash" not in body["user"]

    me = client.get("/api/v1/auth/me", headers=auth(body["token"]))
    assert me.status_code == 200, me.text
    assert me.json()["user"]["username"] == "test-rider"
    assert me.json()["device_id"] == body["device_id"]


def test_wrong_password_and_unknown_user_get_the_same_401(client: Any, tokens: dict[str, str]) -> None:
    wrong = login(client, "test-rider", "not-the-password")
    unknown = login(client, "nobody-here", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "token" not in response.json()
    # Nothing in the answer tells an existing user from a missing one.
    strip = {"request_id"}
    assert {k: v for k, v in wrong.json().items() if k not in strip} == {
        k: v for k, v in unknown.json().items() if k not in strip
    }


def test_me_needs_a_valid_token(client: Any, tokens: dict[str, str]) -> None:
    assert client.get("/api/v1/auth/me").status_code == 401
    assert client.get("/api/v1/auth/me", headers=auth("bdg_made-up")).status_code == 401


def test_login_body_is_validated(client: Any) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "x\x00y", "password": "p"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["errors"][0]["field"] == "username"


# ---- throttle --------------------------------------------------------------------------------


@pytest.fixture
def strict_client(database_url: str, tokens: dict[str, str]) -> Iterator[Any]:
    """A client for an app that allows 3 failed logins."""
    settings = load_settings(
        database_url=database_url,
        secret_key="test-secret",
        log_level="WARNING",
        login_max_failures=3,
        login_max_failures_per_client=3,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def test_throttle_answers_429_after_too_many_failures(strict_client: Any) -> None:
    for _ in range(3):
        assert login(strict_client, "test-rider", "wrong-password").status_code == 401
    # Even the right password is refused now: the throttle is checked before the password.
    refused = login(strict_client, "test-rider", "rider-password")
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith(PROBLEM)
    assert int(refused.headers["retry-after"]) > 0
    # The same address is locked for every username, not only the one guessed at.
    assert login(strict_client, "test-admin", "admin-password").status_code == 429


async def _attempts(url: str, *tries: tuple[str, str, str]) -> list[str]:
    """Log in with each (username, password, client); what happened to each."""
    settings = load_settings(
        database_url=url, secret_key="test-secret", login_max_failures=3, login_max_failures_per_client=3
    )
    db = Database(url)
    outcomes: list[str] = []
    try:
        for username, password, client in tries:
            try:
                await services.authenticate(db, username, password, client, settings)
                outcomes.append("ok")
            except services.LoginThrottled:
                outcomes.append("throttled")
            except services.BadCredentials:
                outcomes.append("bad")
    finally:
        await db.dispose()
    return outcomes


def test_throttle_counts_a_username_across_addresses(database_url: str, tokens: dict[str, str]) -> None:
    outcomes = run(
        _attempts(
            database_url,
            ("test-rider", "guess-1", "10.0.0.1"),
            ("test-rider", "guess-2", "10.0.0.2"),
            ("test-rider", "guess-3", "10.0.0.3"),
            ("test-rider", "rider-password", "10.0.0.4"),
            ("test-admin", "admin-password", "10.0.0.4"),
        )
    )
    assert outcomes == ["bad", "bad", "bad", "throttled", "ok"]


def test_throttle_counts_an_address_across_usernames(database_url: str, tokens: dict[str, str]) -> None:
    outcomes = run(
        _attempts(
            database_url,
            ("test-admin", "guess", "10.0.0.9"),
            ("test-supervisor", "guess", "10.0.0.9"),
            ("nobody", "guess", "10.0.0.9"),
            ("test-rider", "rider-password", "10.0.0.9"),
            ("test-rider", "rider-password", "10.0.0.10"),
        )
    )
    assert outcomes == ["bad", "bad", "bad", "throttled", "ok"]


def test_a_success_restarts_the_username_count(database_url: str, tokens: dict[str, str]) -> None:
    tries = [
        ("test-rider", "guess", "10.1.0.1"),
        ("test-rider", "guess", "10.1.0.2"),
        ("test-rider", "rider-password", "10.1.0.3"),
        ("test-rider", "guess", "10.1.0.4"),
        ("test-rider", "guess", "10.1.0.5"),
        ("test-rider", "rider-password", "10.1.0.6"),
    ]
    assert run(_attempts(database_url, *tries)) == ["bad", "bad", "ok", "bad", "bad", "ok"]

    async def history() -> list[bool]:
        db = Database(database_url)
        try:
            async with db.read() as session:
                rows = await session.scalars(
                    LoginAttempt.__table__.select()
                    .with_only_columns(LoginAttempt.ok)
                    .where(LoginAttempt.username == "test-rider")
                    .order_by(LoginAttempt.at)
                )
                return list(rows)
        finally:
            await db.dispose()

    # Every attempt stays on record; a success only moves where counting starts.
    assert run(history()) == [False, False, True, False, False, True]


def test_concurrent_guesses_from_two_processes_get_no_extra_tries(
    database_url: str, tokens: dict[str, str]
) -> None:
    """Two Database handles stand for two server processes sharing one database."""

    async def burst() -> list[str]:
        settings = load_settings(
            database_url=database_url,
            secret_key="test-secret",
            login_max_failures=3,
            login_max_failures_per_client=3,
        )
        dbs = [Database(database_url), Database(database_url)]

        async def guess(i: int) -> str:
            try:
                await services.authenticate(dbs[i % 2], "test-rider", f"guess-{i}", f"10.3.0.{i}", settings)
            except services.LoginThrottled:
                return "throttled"
            except services.BadCredentials:
                return "bad"
            return "ok"

        try:
            return list(await asyncio.gather(*(guess(i) for i in range(10))))
        finally:
            for db in dbs:
                await db.dispose()

    outcomes = run(burst())
    assert outcomes.count("bad") <= 3
    assert outcomes.count("throttled") >= 7


def _old_failures(conn: Connection, long_ago: datetime) -> None:
    conn.execute(
        insert(LoginAttempt),
        [{"username": "test-rider", "client": "10.2.0.1", "ok": False, "at": long_ago}] * 10,
    )


def test_failures_older_than_the_window_do_not_count(database_url: str, tokens: dict[str, str]) -> None:
    async def old_failures() -> None:
        db = Database(database_url)
        try:
            await db.run_write(_old_failures, utcnow() - timedelta(seconds=301))
        finally:
            await db.dispose()

    run(old_failures())
    assert run(_attempts(database_url, ("test-rider", "rider-password", "10.2.0.1"))) == ["ok"]


# ---- devices ---------------------------------------------------------------------------------


def test_revoked_device_token_fails_on_its_next_request(admin: Any, tokens: dict[str, str]) -> None:
    token = login(admin, "test-rider", "rider-password", "lost phone").json()["token"]
    me = admin.get("/api/v1/auth/me", headers=auth(token))
    assert me.status_code == 200
    device_id = me.json()["device_id"]

    revoked = admin.post(f"/api/v1/devices/{device_id}/revoke")
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    assert revoked.json()["revoked_by"] == "user:test-admin"
    assert revoked.json()["username"] == "test-rider"

    refused = admin.get("/api/v1/auth/me", headers=auth(token))
    assert refused.status_code == 401
    assert refused.headers["content-type"].startswith(PROBLEM)
    # The rider's other phone is untouched.
    assert admin.get("/api/v1/auth/me", headers=auth(tokens["rider"])).status_code == 200

    again = admin.post(f"/api/v1/devices/{device_id}/revoke")
    assert again.status_code == 200
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]

    unknown = admin.post("/api/v1/devices/0190a5d2-0000-7000-8000-000000000000/revoke")
    assert unknown.status_code == 404


def test_logout_revokes_only_this_device(admin: Any, tokens: dict[str, str]) -> None:
    token = login(admin, "test-rider", "rider-password").json()["token"]
    assert admin.post("/api/v1/auth/logout", headers=auth(token)).status_code == 204
    assert admin.get("/api/v1/auth/me", headers=auth(token)).status_code == 401
    assert admin.post("/api/v1/auth/logout", headers=auth(token)).status_code == 401
    assert admin.get("/api/v1/auth/me", headers=auth(tokens["rider"])).status_code == 200

    listed = admin.get("/api/v1/devices", params={"username": "test-rider", "revoked": "true"}).json()
    assert listed["total"] == 1
    assert listed["items"][0]["revoked_by"] == "user:test-rider"


def test_device_list_filters_and_pages(admin: Any, tokens: dict[str, str]) -> None:
    everything = admin.get("/api/v1/devices").json()
    assert everything["total"] == 4 and everything["limit"] == 50 and everything["offset"] == 0
    rider = user_id(admin, "test-rider")
    mine = admin.get("/api/v1/devices", params={"user_id": rider}).json()
    assert [d["username"] for d in mine["items"]] == ["test-rider"]
    assert admin.get("/api/v1/devices", params={"revoked": "true"}).json()["total"] == 0
    page = admin.get("/api/v1/devices", params={"limit": 3, "offset": 3}).json()
    assert page["total"] == 4 and len(page["items"]) == 1


@pytest.mark.parametrize("role", ["supervisor", "warehouse", "rider"])
def test_only_admins_see_devices(client: Any, tokens: dict[str, str], role: str) -> None:
    assert client.get("/api/v1/devices", headers=auth(tokens[role])).status_code == 403
    assert client.get("/api/v1/users", headers=auth(tokens[role])).status_code == 403
    assert client.get("/api/v1/devices").status_code == 401


# ---- users -----------------------------------------------------------------------------------


def test_disabling_a_user_locks_out_its_tokens_at_once(admin: Any, tokens: dict[str, str]) -> None:
    rider = user_id(admin, "test-rider")
    response = admin.patch(f"/api/v1/users/{rider}", json={"active": False})
    assert response.status_code == 200, response.text
    assert response.json()["active"] is False

    assert admin.get("/api/v1/auth/me", headers=auth(tokens["rider"])).status_code == 401
    assert login(admin, "test-rider", "rider-password").status_code == 401
    assert admin.get("/api/v1/users", params={"active": "false"}).json()["total"] == 1

    # Enabling again does not bring the old token back (the phone may have changed hands
    # meanwhile): the rider logs in afresh.
    admin.patch(f"/api/v1/users/{rider}", json={"active": True})
    assert admin.get("/api/v1/auth/me", headers=auth(tokens["rider"])).status_code == 401
    fresh = login(admin, "test-rider", "rider-password")
    assert fresh.status_code == 200
    assert admin.get("/api/v1/auth/me", headers=auth(fresh.json()["token"])).status_code == 200


def test_reactivating_a_user_disabled_before_revocation_does_not_revive_old_tokens(
    admin: Any, tokens: dict[str, str], database_url: str
) -> None:
    """Users disabled by older code kept live device rows; enabling them revokes those."""

    from sqlalchemy import update

    from server.auth.models import User

    with connect(database_url) as conn:
        conn.execute(update(User).where(User.username == "test-rider").values(active=False))
        conn.commit()
    admin.patch(f"/api/v1/users/{user_id(admin, 'test-rider')}", json={"active": True})
    assert admin.get("/api/v1/auth/me", headers=auth(tokens["rider"])).status_code == 401


def test_a_new_password_revokes_the_users_other_tokens(admin: Any, tokens: dict[str, str]) -> None:
    phones = [login(admin, "test-rider", "rider-password").json()["token"] for _ in range(2)]
    changed = admin.patch(
        f"/api/v1/users/{user_id(admin, 'test-rider')}", json={"password": "new-password-1"}
    )
    assert changed.status_code == 200, changed.text
    for token in [*phones, tokens["rider"]]:
        assert admin.get("/api/v1/auth/me", headers=auth(token)).status_code == 401
    assert login(admin, "test-rider", "rider-password").status_code == 401
    assert login(admin, "test-rider", "new-password-1").status_code == 200
    # Other users keep their sessions.
    assert admin.get("/api/v1/auth/me", headers=auth(tokens["warehouse"])).status_code == 200

    # An admin changing their own password stays logged in on this device, and only here.
    other_admin_phone = login(admin, "test-admin", "admin-password").json()["token"]
    mine = admin.patch(f"/api/v1/users/{user_id(admin, 'test-admin')}", json={"password": "new-password-2"})
    assert mine.status_code == 200, mine.text
    assert admin.get("/api/v1/auth/me").status_code == 200
    assert admin.get("/api/v1/auth/me", headers=auth(other_admin_phone)).status_code == 401


def test_renaming_a_user_keeps_their_tokens(admin: Any, tokens: dict[str, str]) -> None:
    changed = admin.patch(f"/api/v1/users/{user_id(admin, 'test-rider')}", json={"full_name": "Juan Cruz"})
    assert changed.status_code == 200
    assert admin.get("/api/v1/auth/me", headers=auth(tokens["rider"])).status_code == 200


def test_create_and_update_a_user(admin: Any, tokens: dict[str, str]) -> None:
    created = admin.post(
        "/api/v1/users",
        json={
            "username": "maria.santos",
            "password": "mabuhay-2024",
            "role": "warehouse",
            "full_name": "Maria",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "warehouse"
    assert login(admin, "maria.santos", "mabuhay-2024").status_code == 200

    new_id = created.json()["id"]
    changed = admin.patch(
        f"/api/v1/users/{new_id}", json={"role": "supervisor", "password": "bagong-password"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "supervisor" and changed.json()["full_name"] == "Maria"
    assert login(admin, "maria.santos", "mabuhay-2024").status_code == 401
    assert login(admin, "maria.santos", "bagong-password").status_code == 200

    riders = admin.get("/api/v1/users", params={"role": "rider"}).json()
    assert [u["username"] for u in riders["items"]] == ["test-rider"]
    assert admin.patch(f"/api/v1/users/{new_id}", json={}).status_code == 200
    missing = admin.patch("/api/v1/users/0190a5d2-0000-7000-8000-000000000000", json={"active": False})
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "ana", "password": "short", "role": "rider"}, "password"),
        ({"username": "ana", "password": "long-enough", "role": "boss"}, "role"),
        ({"username": "has space", "password": "long-enough", "role": "rider"}, "username"),
        (
            {"username": "ana", "password": "long-enough", "role": "rider", "warehouse_id": "nope"},
            "warehouse_id",
        ),
        (
            {
                "username": "ana",
                "password": "long-enough",
                "role": "rider",
                "warehouse_id": "0190a5d2-0000-7000-8000-000000000000",
            },
            "warehouse_id",
        ),
    ],
)
def test_user_create_validation_names_the_field(
    admin: Any, tokens: dict[str, str], body: dict[str, str], field: str
) -> None:
    response = admin.post("/api/v1/users", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in [e["field"] for e in response.json()["errors"]]


def test_user_create_missing_field_is_422_naming_it(admin: Any, tokens: dict[str, str]) -> None:
    response = admin.post("/api/v1/users", json={"password": "long-enough", "role": "rider"})
    assert response.status_code == 422
    assert "username" in response.json()["detail"]


def test_duplicate_username_is_409(admin: Any, tokens: dict[str, str]) -> None:
    response = admin.post(
        "/api/v1/users", json={"username": "test-rider", "password": "long-enough", "role": "rider"}
    )
    assert response.status_code == 409
    assert response.json()["errors"] == [{"field": "username", "message": "already taken"}]


def test_the_last_admin_cannot_be_disabled_or_demoted(admin: Any, tokens: dict[str, str]) -> None:
    me = user_id(admin, "test-admin")
    assert admin.patch(f"/api/v1/users/{me}", json={"active": False}).status_code == 409
    assert admin.patch(f"/api/v1/users/{me}", json={"role": "rider"}).status_code == 409
    other = admin.post(
        "/api/v1/users", json={"username": "boss2", "password": "long-enough", "role": "admin"}
    )
    assert other.status_code == 201
    assert admin.patch(f"/api/v1/users/{me}", json={"role": "supervisor"}).status_code == 200


def _add_warehouse(conn: Connection, code: str) -> None:
    conn.execute(insert(Warehouse).values(code=code, name="Cebu warehouse"))


def test_create_user_cli_names_the_warehouse_by_code(database_url: str) -> None:
    async def scenario() -> tuple[str, str]:
        db = Database(database_url)
        try:
            await db.run_write(_add_warehouse, "CEB1")
            user = await services.create_user_cli(db, "pedro", "long-enough", "warehouse", "Pedro", "CEB1")
            try:
                await services.create_user_cli(db, "pablo", "long-enough", "warehouse", "Pablo", "NOPE")
            except InvalidInput as exc:
                return str(user.warehouse_id is not None), exc.errors[0].field
            return "", ""
        finally:
            await db.dispose()

    assert run(scenario()) == ("True", "warehouse_code")


# ---- the address the throttle counts ---------------------------------------------------------


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    none = TrustedProxies.parse("")
    assert none.client_of("127.0.0.1", ["10.0.0.7"]) == "127.0.0.1"
    proxies = TrustedProxies.parse("127.0.0.1, 10.20.0.0/16")
    assert proxies.client_of("127.0.0.1", ["203.0.113.5"]) == "203.0.113.5"
    # The nearest hop that is not ours: what the client wrote further left proves nothing.
    assert proxies.client_of("127.0.0.1", ["1.1.1.1, 203.0.113.5, 10.20.3.4"]) == "203.0.113.5"
    assert proxies.client_of("198.51.100.9", ["203.0.113.5"]) == "198.51.100.9"
    assert proxies.client_of("127.0.0.1", []) == "127.0.0.1"
    with pytest.raises(SystemExit):
        TrustedProxies.parse("not-an-address")


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_a_spoofed_forwarded_for_does_not_escape_the_address_lockout(
    database_url: str, tokens: dict[str, str], trusted: str
) -> None:
    """Through `bodega serve` itself: uvicorn used to believe X-Forwarded-For from 127.0.0.1."""
    import httpx

    from server.bench.harness import running_server

    env = {
        "BODEGA_LOGIN_MAX_FAILURES": "100",
        "BODEGA_LOGIN_MAX_FAILURES_PER_CLIENT": "3",
        "BODEGA_TRUSTED_PROXIES": trusted,
    }
    with running_server(database_url, env=env) as server:

        def attempt(password: str, forwarded_for: str) -> int:
            body = {"username": "test-rider", "password": password}
            headers = {"X-Forwarded-For": forwarded_for}
            return httpx.post(f"{server.url}/api/v1/auth/login", json=body, headers=headers).status_code

        if trusted:
            # Behind our proxy each forwarded address is its own client.
            assert [attempt("guess", "10.9.0.1") for _ in range(3)] == [401, 401, 401]
            assert attempt("rider-password", "10.9.0.99") == 200
            assert attempt("rider-password", "10.9.0.1") == 429
        else:
            assert [attempt("guess", f"10.9.0.{i}") for i in range(3)] == [401, 401, 401]
            # A client naming itself anew on every try is still the one address it connects from.
            assert attempt("rider-password", "10.9.0.99") == 429

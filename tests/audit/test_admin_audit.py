"""Administrative changes made over REST (what the console sends) are in the audit log: who, what,
when, before and after, and never a secret's value. Each is read back from GET /api/v1/audit, as
the console's audit screen reads it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import run
from tests.kit.world import seed_world

SECRET = "s3cret-app-key-never-logged"
TOKEN = "tok-never-logged-either"


def _entries(client: Any, **params: str) -> list[dict[str, Any]]:
    page = client.get("/api/v1/audit", params={"limit": 100, **params})
    assert page.status_code == 200, page.text
    return page.json()["items"]


def _only(client: Any, action: str, entity_id: str | None = None) -> dict[str, Any]:
    params = {"action": action} | ({"entity_id": entity_id} if entity_id else {})
    (entry,) = _entries(client, **params)
    assert entry["actor"] == "user:test-admin"
    assert abs(datetime.fromisoformat(entry["at"]) - datetime.now(UTC)) < timedelta(minutes=5)
    return entry


def test_users_and_devices(admin: Any) -> None:
    made = admin.post(
        "/api/v1/users", json={"username": "nena", "password": "long-enough-1", "role": "rider"}
    )
    assert made.status_code == 201, made.text
    uid = made.json()["id"]
    created = _only(admin, "user.created", uid)
    assert created["entity"] == "user" and created["details"]["after"]["role"] == "rider"
    # The new password is never written, nor its hash.
    assert "long-enough" not in json.dumps(created) and "argon2" not in json.dumps(created)

    # Her phone logs in, then the admin resets her password: the phone's token dies with it.
    login = admin.post("/api/v1/auth/login", json={"username": "nena", "password": "long-enough-1"})
    assert login.status_code == 200, login.text
    device_id = login.json()["device_id"]
    reset = admin.patch(f"/api/v1/users/{uid}", json={"password": "another-long-2"})
    assert reset.status_code == 200, reset.text
    entry = _only(admin, "user.password_reset", uid)
    assert entry["details"] == {"username": "nena", "devices_revoked": True}
    assert "another-long" not in json.dumps(entry)

    changed = admin.patch(f"/api/v1/users/{uid}", json={"full_name": "Nena Cruz", "role": "warehouse"})
    assert changed.status_code == 200, changed.text
    entry = _only(admin, "user.updated", uid)
    assert entry["details"]["before"] == {"full_name": "", "role": "rider"}
    assert entry["details"]["after"] == {"full_name": "Nena Cruz", "role": "warehouse"}

    assert admin.patch(f"/api/v1/users/{uid}", json={"active": False}).status_code == 200
    assert _only(admin, "user.disabled", uid)["details"]["username"] == "nena"
    # Nothing else changed: no user.updated beyond the one above.
    assert len(_entries(admin, action="user.updated")) == 1

    # A second device, revoked twice from the console: one entry, at the first.
    assert admin.patch(f"/api/v1/users/{uid}", json={"active": True}).status_code == 200
    assert _only(admin, "user.enabled", uid)
    login = admin.post("/api/v1/auth/login", json={"username": "nena", "password": "another-long-2"})
    device_id = login.json()["device_id"]
    for _ in range(2):
        assert admin.post(f"/api/v1/devices/{device_id}/revoke").status_code == 200
    entry = _only(admin, "device.revoked", device_id)
    assert entry["entity"] == "device" and entry["details"]["username"] == "nena"
    # The whole user's story, found by the user's id.
    actions = [e["action"] for e in _entries(admin, entity="user", entity_id=uid)]
    assert sorted(actions) == sorted(
        ["user.created", "user.password_reset", "user.updated", "user.disabled", "user.enabled"]
    )


def test_settings(admin: Any, database_url: str) -> None:
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))
    policy = admin.get("/api/v1/cod/policy").json()
    assert admin.put("/api/v1/cod/policy", json={**policy, "max_attempts": 2}).status_code == 200
    entry = _only(admin, "cod.policy.changed")
    assert entry["details"] == {"before": {"max_attempts": 3}, "after": {"max_attempts": 2}}

    put = admin.put("/api/v1/cod/riders/test-rider/ceiling", json={"cash_ceiling": 5_000_00})
    assert put.status_code == 200, put.text
    entry = _only(admin, "cod.ceiling.changed", "test-rider")
    assert entry["details"] == {"before": {"cash_ceiling": 20_000_00}, "after": {"cash_ceiling": 5_000_00}}

    rules = admin.get("/api/v1/fulfilment/ship-by-rules").json()
    put = admin.put("/api/v1/fulfilment/ship-by-rules", json={**rules, "at_risk_minutes": 90})
    assert put.status_code == 200, put.text
    entry = _only(admin, "fulfilment.ship_by.changed")
    assert entry["details"] == {"before": {"at_risk_minutes": 240}, "after": {"at_risk_minutes": 90}}

    put = admin.put("/api/v1/stock/VAL/CASE-BLK/buffer", json={"safety_buffer": 4})
    assert put.status_code == 200, put.text
    entry = _only(admin, "stock.buffer.changed", "VAL/CASE-BLK")
    assert entry["details"] == {"before": {"safety_buffer": 0}, "after": {"safety_buffer": 4}}

    alerts = admin.get("/api/v1/alerts/settings").json()
    put = admin.put("/api/v1/alerts/settings", json={**alerts, "rider_unremitted_hours": 6})
    assert put.status_code == 200, put.text
    entry = _only(admin, "alerts.settings.changed")
    assert entry["details"] == {
        "before": {"rider_unremitted_hours": 12},
        "after": {"rider_unremitted_hours": 6},
    }


def test_channel_credentials_never_show_their_secrets(admin: Any, database_url: str) -> None:
    run(seed_world(database_url))
    body = {
        "platform": "shopee",
        "base_url": "https://partner.shopeemobile.com",
        "app_key": "100200",
        "app_secret": SECRET,
        "access_token": TOKEN,
    }
    assert admin.put("/api/v1/shops/shopee-main/connection", json=body).status_code == 200
    first = _only(admin, "shop.connection.changed", "shopee-main")
    assert first["entity"] == "shop"
    assert first["details"]["after"]["base_url"] == "https://partner.shopeemobile.com"
    assert first["details"]["secrets"] == {"app_secret": "set", "access_token": "set"}

    # A new token, the same secret; then the webhook settings, a second endpoint on the same row.
    put = admin.put("/api/v1/shops/shopee-main/connection", json={**body, "access_token": TOKEN + "2"})
    assert put.status_code == 200, put.text
    hook = {"platform": "shopee", "secret": SECRET + "-hook", "app_key": "100200"}
    put = admin.put("/api/v1/shops/shopee-main/channel-settings", json=hook)
    assert put.status_code == 200, put.text
    newest, second, _ = _entries(admin, action="shop.connection.changed")
    assert second["details"] == {"before": {}, "after": {}, "secrets": {"access_token": "changed"}}
    assert newest["details"]["secrets"] == {"webhook_secret": "set"}
    assert SECRET not in json.dumps(_entries(admin)) and TOKEN not in json.dumps(_entries(admin))

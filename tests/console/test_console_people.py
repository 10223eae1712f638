"""Users and devices in the console, in Chromium: an admin adds a user, resets a password (the old
one stops working, the user's phones are logged out), and revokes a rider's phone after seeing
what the server has of it (its sync, the cash its rider holds)."""

from __future__ import annotations

from typing import Any

import httpx
from playwright.sync_api import expect

from server.bench import pwa
from tests.console.conftest import open_screen
from tests.console.story import RIDER, Story


def login(site: pwa.Site, user: str, password: str, device: str = "") -> httpx.Response:
    body = {"username": user, "password": password, "device_name": device}
    return httpx.post(f"{site.url}/api/v1/auth/login", json=body, timeout=10)


def test_create_user_and_reset_password(desk: Any, site: pwa.Site, story: Story) -> None:
    open_screen(desk, site, "/people")
    desk.click("button[data-action=new-user]")
    form = desk.get_by_test_id("new-user")
    form.locator("input[name=username]").fill("packer.joy")
    form.locator("input[name=full_name]").fill("Joy Dela Cruz")
    form.locator("select[name=role]").select_option("warehouse")
    form.locator("select[name=warehouse_id]").select_option(label="VAL — Valenzuela")
    form.locator("input[name=password]").fill("short")  # the server wants 8 or more
    form.locator("button[type=submit]").click()
    expect(form.locator(".field-bad input[name=password]")).to_be_visible()
    form.locator("input[name=password]").fill("first-pass-2026")
    form.locator("button[type=submit]").click()
    expect(form.locator(".ok")).to_contain_text("packer.joy")
    phone = login(site, "packer.joy", "first-pass-2026", "Packing phone")
    assert phone.status_code == 200
    old_token = phone.json()["token"]

    users = desk.locator("[data-testid=user-table] tbody tr[data-row]")
    users.filter(has_text="packer.joy").click()
    reset = desk.get_by_test_id("reset-password")
    reset.locator("input[name=password]").fill("second-pass-2026")
    reset.locator("button[type=submit]").click()
    expect(reset.locator(".ok")).to_have_text("Napalitan ang password.")
    assert login(site, "packer.joy", "first-pass-2026").status_code == 401
    assert login(site, "packer.joy", "second-pass-2026").status_code == 200
    me = httpx.get(f"{site.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"}, timeout=10)
    assert me.status_code == 401  # the phone logged in with the old password is out


def test_revoke_a_riders_phone_seeing_what_it_holds(desk: Any, site: pwa.Site, story: Story) -> None:
    phone = login(site, *RIDER, "Ben's Android")
    token = phone.json()["token"]
    open_screen(desk, site, "/people?username=rider.ben")
    devices = desk.locator("[data-testid=device-table] tbody tr[data-row]")
    devices.filter(has_text="Ben's Android").click()
    state = desk.get_by_test_id("sync-state")
    expect(desk.get_by_test_id("cash-held")).to_have_text("₱398.00")
    expect(desk.get_by_test_id("missing-proofs")).to_have_text("none")
    expect(state).to_contain_text("never")  # this phone never synced
    desk.click("button[data-action=revoke]")
    expect(desk.get_by_test_id("revoked")).to_be_visible()
    me = httpx.get(f"{site.url}/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 401
    expect(devices.filter(has_text="Ben's Android")).to_contain_text("revoked")

"""The phone app is installable: a complete manifest with real icons, a service worker that is
activated and controls the page, Chromium's own installability check passing, and the app opening
with the server stopped (the shell, and the scanner's WebAssembly, are precached)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.bench import pwa
from tests.kit.pwa import running_site

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        yield site


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def test_the_manifest_is_complete_and_its_icons_are_real(site: pwa.Site) -> None:
    from PIL import Image

    manifest = httpx.get(f"{site.url}/manifest.webmanifest").json()
    for name in ("name", "short_name", "id", "start_url", "scope", "theme_color", "background_color"):
        assert manifest.get(name), f"the manifest has no {name}"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == manifest["scope"] == "/"
    found: set[tuple[str, str]] = set()
    for icon in manifest["icons"]:
        response = httpx.get(f"{site.url}{icon['src']}")
        assert response.status_code == 200, icon["src"]
        assert response.headers["content-type"] == icon["type"] == "image/png"
        width, height = Image.open(io.BytesIO(response.content)).size
        assert f"{width}x{height}" == icon["sizes"], icon["src"]
        found.add((icon["sizes"], icon.get("purpose", "any")))
    assert {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"), ("512x512", "maskable")} <= found


def test_chromium_finds_it_installable_with_a_controlling_service_worker(
    site: pwa.Site, playwright: Any, tmp_path: Path
) -> None:
    if not Path(pwa.CHROMIUM).exists():
        pytest.fail(f"no Chromium at {pwa.CHROMIUM}")
    # A persistent profile: Chromium does not offer to install apps from an incognito context.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=pwa.CHROMIUM,
        args=pwa.CHROMIUM_ARGS,
        headless=True,
        viewport=pwa.PHONE,
    )
    context.set_default_timeout(pwa.WAIT_MS)
    try:
        page = context.new_page()
        page.goto(site.url + "/")
        pwa.wait_ready(page)
        pwa.wait_controlled(page)
        registration = "navigator.serviceWorker.getRegistration()"
        state = page.evaluate(f"{registration}.then((r) => ({{scope: r.scope, active: r.active.state}}))")
        assert state == {"scope": site.url + "/", "active": "activated"}
        cdp = context.new_cdp_session(page)
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["errors"] == []
        assert manifest["url"] == f"{site.url}/manifest.webmanifest"
    finally:
        context.close()


def test_the_app_opens_with_the_server_stopped(site: pwa.Site, playwright: Any) -> None:
    browser = pwa.launch(playwright)
    try:
        page = pwa.new_phone(browser, site).new_page()
        pwa.login(page, site)
        pwa.wait_controlled(page)
        cached = page.evaluate(
            """caches.keys().then(async (names) => {
                 const urls = [];
                 for (const name of names) {
                   urls.push(...(await (await caches.open(name)).keys()).map((r) => r.url));
                 }
                 return urls;
               })"""
        )
        assert any("/assets/zxing_reader-" in url and url.endswith(".wasm") for url in cached)
        assert any("/index.html" in url for url in cached)
        site.stop()
        try:
            for path in ("/", "/receive", "/count"):
                page.goto(site.url + path)
                pwa.wait_ready(page)
            page.goto(site.url + "/")
            page.wait_for_selector("[data-testid=home]")
            page.click("[data-testid=sync-now]")
            page.wait_for_selector("[data-testid=status][data-online=no]")
        finally:
            site.start()
    finally:
        browser.close()

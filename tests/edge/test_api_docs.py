"""The API docs (/schema, /schema/swagger) load everything from Bodega itself: a deployment without
internet still shows them, and a visit tells no CDN about it (server/apidocs)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from server.apidocs import STATIC
from server.bench.harness import Server, fresh_sqlite, running_server
from server.db.migrate import upgrade
from tests.kit.pwa import chromium

PAGES = ["/schema", "/schema/swagger"]
AT_BOTTOM = "() => window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 1"
OPERATION_IN_VIEW = """() => Array.from(document.querySelectorAll('.opblock')).some(o => {
    const r = o.getBoundingClientRect();
    return r.bottom > 0 && r.top < window.innerHeight;
})"""


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    if not (STATIC / "swagger-ui-bundle.js").is_file():
        pytest.fail("Swagger UI is not vendored into server/apidocs/static: build the PWA (make pwa)")
    with fresh_sqlite() as url:
        upgrade(url)
        with running_server(url) as running:
            yield running


@pytest.mark.parametrize("page", PAGES)
def test_every_script_and_stylesheet_is_same_origin_and_served(server: Server, page: str) -> None:
    html = httpx.get(server.url + page).text
    assets = re.findall(r"<script[^>]+src=[\"']([^\"']+)", html) + re.findall(
        r"<link[^>]+href=[\"']([^\"']+)", html
    )
    assert len(assets) >= 4, html[:500]  # bundle, preset, stylesheet, icon
    for asset in assets:
        url = urljoin(server.url + page, asset)
        assert urlsplit(url).netloc == urlsplit(server.url).netloc, f"{page} loads {asset} from elsewhere"
        response = httpx.get(url)
        assert response.status_code == 200, (asset, response.status_code)
        assert len(response.content) > 0


def test_a_missing_or_outside_file_is_a_404(server: Server) -> None:
    for name in ["nope.js", "..%2F__init__.py", ".hidden", "swagger-ui.css.gz"]:
        assert httpx.get(f"{server.url}/schema/static/{name}").status_code == 404, name


def test_the_bundle_is_sent_gzipped_to_who_accepts_it(server: Server) -> None:
    bundle = f"{server.url}/schema/static/swagger-ui-bundle.js"
    plain = httpx.get(bundle, headers={"Accept-Encoding": "identity"})
    zipped = httpx.get(bundle, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # httpx decoded it
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2


@pytest.mark.parametrize("page", PAGES)
def test_swagger_ui_renders_the_operations_with_other_hosts_unreachable(server: Server, page: str) -> None:
    from playwright.sync_api import expect

    ours = urlsplit(server.url).netloc
    elsewhere: list[str] = []
    failed: list[str] = []
    with chromium() as browser:
        context = browser.new_context()

        def only_ours(route: Any) -> None:
            # Every other host is unreachable, as on a warehouse LAN without internet.
            if urlsplit(route.request.url).netloc == ours or route.request.url.startswith("data:"):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        context.route("**/*", only_ours)
        browse = context.new_page()

        def note_failure(response: Any) -> None:
            if response.status >= 400:
                failed.append(response.url)

        browse.on("response", note_failure)
        browse.goto(server.url + page)
        operations = browse.locator(".opblock")
        expect(operations.first).to_be_visible(timeout=30_000)
        # Every route of the API, not an empty shell. With 150 tags and operations or more, Swagger UI
        # virtualises the list: only those near the viewport are in the DOM. So scroll down a screen
        # at a time, waiting each time for operations to be drawn where the viewport now is, and
        # collect what was drawn until the orders routes (further down than a screen) appear.
        orders = browse.locator(".opblock-summary-path", has_text="/api/v1/orders")
        drawn: set[str] = set()
        while True:
            drawn |= set(operations.evaluate_all("ops => ops.map(o => o.id)"))
            if orders.count() or browse.evaluate(AT_BOTTOM):
                break
            browse.evaluate("window.scrollBy(0, window.innerHeight)")
            browse.wait_for_function(OPERATION_IN_VIEW)
        assert len(drawn) > 20, sorted(drawn)
        orders.first.scroll_into_view_if_needed()
        expect(orders.first).to_be_visible()
        context.close()
    assert elsewhere == [], elsewhere
    assert failed == [], failed

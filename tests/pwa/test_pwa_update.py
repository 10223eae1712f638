"""A new build of the app reaches an installed phone as a prompt, never as a reload: a half-filled
form survives until the user taps "I-update", and then the new version runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.bench import pwa
from tests.kit.pwa import chromium, running_site

LABEL = "update-test-2"


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        yield site


@pytest.fixture(scope="module")
def new_build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pwa.build_into(Path(tmp_path_factory.mktemp("next")) / "dist", LABEL)


def test_a_new_build_asks_and_does_not_reload_by_itself(site: pwa.Site, new_build: Path) -> None:
    with chromium() as browser:
        page: Any = pwa.new_phone(browser, site).new_page()
        pwa.login(page, site)
        pwa.wait_controlled(page)
        assert LABEL not in page.inner_text("[data-testid=home]")
        page.goto(site.url + "/receive")
        pwa.wait_ready(page)
        page.fill("[data-testid=scan-ref-input]", "DR-half-typed")  # a form in progress
        page.evaluate("window.__sameDocument = true")

        pwa.copy_build(new_build, site.dist)  # the server now serves the new version
        page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
        page.wait_for_selector("[data-testid=update-prompt]")
        page.wait_for_function("navigator.serviceWorker.getRegistration().then((r) => r.waiting !== null)")
        page.wait_for_timeout(1500)  # time enough for any reload to happen: none may
        assert page.evaluate("window.__sameDocument === true")
        assert page.input_value("[data-testid=scan-ref-input]") == "DR-half-typed"

        with page.expect_navigation():
            page.click("[data-testid=update-now]")
        pwa.wait_ready(page)
        assert page.evaluate("window.__sameDocument === undefined")
        page.goto(site.url + "/")
        pwa.wait_ready(page)
        assert f"Bodega app {LABEL}" in page.inner_text("[data-testid=home]")
        assert page.query_selector("[data-testid=update-prompt]") is None

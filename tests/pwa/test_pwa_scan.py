"""Scanning in a real browser: a generated barcode shown to the camera decodes to the right SKU
(through the self-hosted WebAssembly reader, never a CDN) and the camera is released; a hardware
scanner's burst is taken as a scan wherever the focus is, while slow typing is not; an unknown code
gets a clear prompt and the "bad scan" signal, a known one the "good scan" signal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from server.bench import pwa
from tests.kit.pwa import chromium, running_site

TSHIRT = pwa.SKUS[0]  # ("SKU-TSHIRT-M", "Cotton T-shirt, M", "4800016644801", "EAN13", 20)
MUG = pwa.SKUS[3]  # a Code 128 label of our own

# Keep every camera stream the page opens, to check that closing the scanner stops its tracks.
TRACK_STREAMS = """
  window.__streams = [];
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const stream = await original(constraints);
    window.__streams.push(stream);
    return stream;
  };
"""
LIVE_TRACKS = "window.__streams.flatMap((s) => s.getTracks()).filter((t) => t.readyState === 'live').length"


@pytest.fixture(scope="module")
def site() -> Iterator[pwa.Site]:
    with running_site() as site:
        yield site


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("camera")
    video = pwa.write_y4m(pwa.barcode_image(TSHIRT[2], TSHIRT[3]), Path(folder) / "ean13.y4m")
    with chromium(camera_file=video) as launched:
        yield launched


@pytest.fixture
def page(site: pwa.Site, browser: Any) -> Iterator[Any]:
    context = pwa.new_phone(browser, site)
    context.add_init_script(TRACK_STREAMS)
    tab = context.new_page()
    pwa.login(tab, site)
    pwa.load_reference_data(tab, site)
    yield tab
    context.close()


def open_receiving(page: Any, site: pwa.Site) -> None:
    page.goto(site.url + "/receive")
    pwa.wait_ready(page)
    page.click("[data-testid=no-ref]")
    page.wait_for_selector("[data-testid=scan-item]")


def feedback(page: Any) -> tuple[str, int]:
    node = page.query_selector("[data-testid=feedback]")
    if node is None:
        return ("", 0)
    return (node.get_attribute("data-kind"), int(node.get_attribute("data-n")))


def test_a_barcode_shown_to_the_camera_is_read_as_its_sku(page: Any, site: pwa.Site) -> None:
    far_away: list[str] = []

    def note(request: Any) -> None:
        if not request.url.startswith(site.url):
            far_away.append(request.url)

    page.on("request", note)
    open_receiving(page, site)
    page.click("[data-testid=scan-item-camera]")
    camera = page.wait_for_selector("[data-testid=camera]")
    line = page.wait_for_selector("[data-testid=line]")
    assert TSHIRT[1] in line.inner_text()
    assert feedback(page)[0] == "good"
    reader = camera.get_attribute("data-reader")
    assert reader in ("native", "wasm")
    assert page.query_selector("[data-testid=camera]") is None
    page.wait_for_function(f"({LIVE_TRACKS}) === 0")  # released after the scan
    assert page.evaluate("window.__streams.length") == 1
    if reader == "wasm":
        loaded = page.evaluate("performance.getEntriesByType('resource').map((e) => e.name)")
        assert any(url.startswith(site.url + "/assets/zxing_reader-") for url in loaded)
    assert far_away == [], f"the app fetched from elsewhere: {far_away}"


def test_closing_the_camera_releases_it(page: Any, site: pwa.Site) -> None:
    open_receiving(page, site)
    # Hold the video before its first frame, so the scanner cannot read the code before it is closed.
    page.evaluate("HTMLVideoElement.prototype.play = () => new Promise(() => {}); window.__streams = []")
    page.click("[data-testid=scan-item-camera]")
    page.wait_for_function(f"window.__streams.length === 1 && ({LIVE_TRACKS}) > 0")
    page.click("[data-testid=camera-close]")
    page.wait_for_selector("[data-testid=camera]", state="detached")
    # Chromium 156 marks a stopped track ended a task after stop(): wait for it, not for a time.
    page.wait_for_function(f"({LIVE_TRACKS}) === 0")
    assert page.query_selector("[data-testid=line]") is None


def test_a_scanner_burst_is_a_scan_wherever_the_focus_is(page: Any, site: pwa.Site) -> None:
    open_receiving(page, site)
    pwa.wedge(page, TSHIRT[2])  # nothing focused
    line = page.wait_for_selector("[data-testid=line]")
    assert TSHIRT[1] in line.inner_text()
    # Focus in the quantity field: scanning the same item counts one more, and the burst's
    # digits do not end up typed into the field.
    page.fill("[data-testid=qty]", "5")
    page.focus("[data-testid=qty]")
    pwa.wedge(page, TSHIRT[2])
    page.wait_for_function("document.querySelector('[data-testid=qty]').value === '6'")
    # The bin, scanned with the focus still in the quantity field, saves the line.
    pwa.wedge(page, "RCV-01")
    page.wait_for_selector("[data-testid=saved]")
    assert "6 \u00d7 Cotton T-shirt, M \u2192 RCV-01" in page.inner_text(
        "[data-testid=saved]"
    )  # 6 x ... -> ...
    expect(page.locator("[data-testid=received-line]")).to_have_count(1)


def test_slow_typing_is_not_taken_as_a_scan(page: Any, site: pwa.Site) -> None:
    open_receiving(page, site)
    before = feedback(page)
    page.keyboard.type(TSHIRT[2], delay=90)  # a person, nothing focused
    page.keyboard.press("Enter")
    page.wait_for_timeout(400)
    assert page.query_selector("[data-testid=line]") is None
    assert feedback(page) == before
    # Typed into the manual entry box and submitted, the same code is taken: on purpose.
    page.click("[data-testid=scan-item-input]")
    page.keyboard.type(MUG[2], delay=90)
    page.keyboard.press("Enter")
    assert MUG[1] in page.wait_for_selector("[data-testid=line]").inner_text()


def test_an_unknown_barcode_gets_a_clear_prompt_and_the_bad_scan_signal(page: Any, site: pwa.Site) -> None:
    open_receiving(page, site)
    pwa.wedge(page, "4809999999999")
    prompt = page.wait_for_selector("[data-testid=prompt]")
    assert "Hindi kilala ang barcode" in prompt.inner_text()
    assert "4809999999999" in prompt.inner_text()
    kind, n = feedback(page)
    assert kind == "bad"
    pwa.wedge(page, MUG[2])  # the next scan works as usual
    page.wait_for_selector("[data-testid=line]")
    assert feedback(page) == ("good", n + 1)

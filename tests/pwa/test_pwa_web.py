"""server/web.py: the phone app served at the root with the caching an installed PWA needs, and
the server's own paths never swallowed by the app's catch-all. Uses a small fake build."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

INDEX = "<!doctype html><title>Bodega</title><script type=module src=/assets/index-abc123.js></script>"


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "icons").mkdir()
    (root / "index.html").write_text(INDEX)
    (root / "sw.js").write_text("self.addEventListener('install', () => {});")
    (root / "manifest.webmanifest").write_text('{"name": "Bodega"}')
    (root / "icons" / "icon-192.png").write_bytes(b"\x89PNG fake")
    js = b"console.log('shell');" * 50
    (root / "assets" / "index-abc123.js").write_bytes(js)
    (root / "assets" / "index-abc123.js.gz").write_bytes(gzip.compress(js))
    (root / "assets" / "zxing_reader-def456.wasm").write_bytes(b"\0asm" + bytes(100))
    (tmp_path / "secret.txt").write_text("outside the build")
    return root


@pytest.fixture
def web(sqlite_url: str, dist: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from litestar.testing import TestClient

    from server.app import create_app
    from server.settings import load_settings

    monkeypatch.setenv("BODEGA_PWA_DIST", str(dist))
    app = create_app(load_settings(database_url=sqlite_url, secret_key="test-secret", log_level="WARNING"))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize("path", ["/", "/receive", "/count/bin/A-01-01", "/problems"])
def test_the_app_and_every_client_route_answer_with_the_shell(web: Any, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 200
    assert response.text == INDEX
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"


def test_the_service_worker_is_served_from_the_root_and_always_revalidated(web: Any) -> None:
    response = web.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    again = web.get("/sw.js", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304  # a phone checking for an update downloads nothing if none


def test_hashed_assets_are_cached_forever_and_sent_gzipped(web: Any, dist: Path) -> None:
    response = web.get("/assets/index-abc123.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == (dist / "assets" / "index-abc123.js").read_bytes()
    wasm = web.get("/assets/zxing_reader-def456.wasm")
    assert wasm.headers["content-type"] == "application/wasm"  # streaming compilation needs it
    assert wasm.headers["cache-control"].endswith("immutable")


def test_other_build_files_are_revalidated(web: Any) -> None:
    manifest = web.get("/manifest.webmanifest")
    assert manifest.headers["content-type"] == "application/manifest+json"
    assert manifest.headers["cache-control"] == "no-cache"
    assert web.get("/icons/icon-192.png").headers["content-type"] == "image/png"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/no-such-thing"),
        ("POST", "/api/v1/no-such-thing"),
        ("GET", "/sync/v1/no-such-thing"),
        ("POST", "/sync/v2/sync"),
        ("GET", "/schema/no-such-page"),
        ("GET", "/assets/missing-000.js"),
        ("GET", "/missing.png"),
        ("POST", "/receive"),
    ],
)
def test_the_catch_all_does_not_swallow_server_paths_or_missing_files(
    web: Any, method: str, path: str
) -> None:
    response = web.request(method, path)
    assert response.status_code == 404
    assert response.text != INDEX


def test_the_servers_own_routes_still_answer(web: Any) -> None:
    assert web.get("/health").json() == {"status": "ok"}
    assert web.get("/schema/openapi.json").status_code == 200
    assert web.get("/api/v1/auth/me").status_code == 401  # the API's own answer, not the app


@pytest.mark.parametrize(
    "path", ["/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/icons/../../secret.txt"]
)
def test_nothing_outside_the_build_is_served(web: Any, path: str) -> None:
    response = web.get(path)
    assert "outside the build" not in response.text


def test_without_a_build_the_root_says_how_to_build(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from litestar.testing import TestClient

    from server.app import create_app
    from server.settings import load_settings

    monkeypatch.setenv("BODEGA_PWA_DIST", str(tmp_path / "not-built"))
    app = create_app(load_settings(database_url=sqlite_url, secret_key="test-secret", log_level="WARNING"))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/")
        assert response.status_code == 200
        assert "not built" in response.text and "make demo" in response.text
        assert client.get("/receive").text == response.text
        assert client.get("/sw.js").status_code == 404
        assert client.get("/health").status_code == 200

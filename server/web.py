"""Serves the phone app: the built PWA in pwa/dist (or BODEGA_PWA_DIST) at the site's root.

Caching is what makes an installed PWA update correctly:
- hashed build output under /assets/ never changes under its name, so phones cache it forever;
- everything else (index.html, sw.js, the manifest, icons) is `no-cache`: always revalidated, so a
  new build is seen at the next check. sw.js above all: a cached service worker pins old versions.
The office's console is a second page of the same build (console.html) at /console/*.
Every path the app routes itself (/receive, /count/bin/A-01-01 ...) answers with index.html, but
the server's own paths (/api, /sync, /schema, /health, /ready) are never swallowed: an unknown API
path is a 404, not an HTML page.
"""

from __future__ import annotations

import mimetypes
import os
from pathlib import Path
from typing import Any

import anyio
from litestar import Request, Response, get, route
from litestar.enums import HttpMethod
from litestar.exceptions import NotFoundException

from server.auth.principal import PUBLIC

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIST = ROOT / "pwa" / "dist"

NO_CACHE = "no-cache"
FOREVER = "public, max-age=31536000, immutable"
SERVER_PATHS = ("api", "sync", "schema", "health", "ready")
TYPES = {
    ".js": "text/javascript",  # Litestar adds "; charset=utf-8" to text types
    ".css": "text/css",
    ".html": "text/html",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".png": "image/png",
    ".json": "application/json",
}
NOT_BUILT = """<!doctype html><meta charset="utf-8"><title>Bodega</title>
<h1>Bodega is running, but the phone app is not built</h1>
<p>Build it with <code>make demo</code> (or <code>cd pwa &amp;&amp; npm ci &amp;&amp; npm run build</code>),
then reload. The API is up: see <a href="/schema">/schema</a>.</p>
<p>Looked for the build in <code>{dist}</code>.</p>
"""


def pwa_dist() -> Path:
    """Where the built app is; BODEGA_PWA_DIST lets tests serve a build of their own."""
    return Path(os.environ.get("BODEGA_PWA_DIST") or DEFAULT_DIST).resolve()


def _inside(dist: Path, relative: str) -> Path | None:
    """The file `relative` names inside `dist`, or None (missing, a folder, or outside dist)."""
    candidate = (dist / relative).resolve()
    if not candidate.is_relative_to(dist) or not candidate.is_file():
        return None
    return candidate


def _etag(path: Path) -> str:
    st = path.stat()
    return f'"{st.st_mtime_ns:x}-{st.st_size:x}"'


async def send_file(request: Request[Any, Any, Any], path: Path, cache: str) -> Response[bytes]:
    headers = {"Cache-Control": cache, "ETag": _etag(path), "Vary": "Accept-Encoding"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(b"", status_code=304, headers=headers)
    body_path = path
    # The build writes .gz copies (pwa/scripts/size.mjs): phones on prepaid data get those.
    gz = path.with_name(path.name + ".gz")
    if "gzip" in request.headers.get("accept-encoding", "") and gz.is_file():
        body_path = gz
        headers["Content-Encoding"] = "gzip"
    media_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    body = await anyio.Path(body_path).read_bytes()
    return Response(body, media_type=media_type, headers=headers)


async def _shell(request: Request[Any, Any, Any]) -> Response[Any]:
    dist = pwa_dist()
    index = _inside(dist, "index.html")
    if index is None:
        page = NOT_BUILT.format(dist=dist)
        return Response(page, media_type="text/html", headers={"Cache-Control": NO_CACHE})
    return await send_file(request, index, NO_CACHE)


# The app's own files and screens are not API: they stay out of the OpenAPI document.
@get("/", opt=PUBLIC, include_in_schema=False, summary="The phone app (or how to build it)")
async def app_shell(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _shell(request)


@get("/sw.js", opt=PUBLIC, include_in_schema=False, summary="The phone app's service worker (no-cache)")
async def service_worker(request: Request[Any, Any, Any]) -> Response[bytes]:
    path = _inside(pwa_dist(), "sw.js")
    if path is None:
        raise NotFoundException("The phone app is not built, so it has no service worker")
    return await send_file(request, path, NO_CACHE)


@get(
    "/assets/{name:str}",
    opt=PUBLIC,
    include_in_schema=False,
    summary="A hashed file of the app build (immutable)",
)
async def hashed_asset(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    path = _inside(pwa_dist() / "assets", name)
    if path is None:
        raise NotFoundException(f"No asset {name!r} in this build")
    return await send_file(request, path, FOREVER)


# The office's web console (pwa/console.html, built beside the phone app): its own page, no service
# worker, every /console/... path answered with it (the console routes itself).
async def _console(request: Request[Any, Any, Any]) -> Response[Any]:
    page = _inside(pwa_dist(), "console.html")
    if page is None:
        missing = NOT_BUILT.format(dist=pwa_dist())
        return Response(missing, media_type="text/html", headers={"Cache-Control": NO_CACHE})
    return await send_file(request, page, NO_CACHE)


@get("/console", opt=PUBLIC, include_in_schema=False, summary="The admin's web console")
async def console_shell(request: Request[Any, Any, Any]) -> Response[Any]:
    return await _console(request)


@get("/console/{path:path}", opt=PUBLIC, include_in_schema=False, summary="A screen of the web console")
async def console_screen(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    return await _console(request)


# Every method, so that a POST to an endpoint that does not exist (yet) is a plain 404 rather than
# a misleading "405 Method Not Allowed" from this GET-only catch-all.
_ANY = [HttpMethod.GET, HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE]


@route(
    "/{path:path}",
    http_method=_ANY,
    status_code=200,
    opt=PUBLIC,
    include_in_schema=False,
    summary="A file of the app build, or a screen of the app (GET); 404 for any other method",
)
async def app_file_or_route(request: Request[Any, Any, Any], path: str) -> Response[Any]:
    relative = path.lstrip("/")
    if request.method != HttpMethod.GET or relative.split("/", 1)[0] in SERVER_PATHS:
        raise NotFoundException(f"No such endpoint: {request.method} /{relative}")
    found = _inside(pwa_dist(), relative)
    if found is not None:
        return await send_file(request, found, NO_CACHE)
    if "." in relative.rsplit("/", 1)[-1]:
        raise NotFoundException(f"No file /{relative} in the phone app")  # a file, not a screen
    return await _shell(request)  # a screen of the app: it routes itself


pwa_routes: list[Any] = [
    app_shell,
    service_worker,
    hashed_asset,
    console_shell,
    console_screen,
    app_file_or_route,
]

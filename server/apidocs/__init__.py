"""The API's own documentation: Swagger UI at /schema and /schema/swagger, the OpenAPI document at
/schema/openapi.json (and .yaml), all served by Bodega itself.

Litestar's render plugins load their JavaScript and CSS from public CDNs, which leaves the docs
blank on a deployment without internet (a warehouse LAN) and makes every visit tell those hosts
about it. The Swagger UI files instead come from the npm package swagger-ui-dist, pinned by
pwa/package-lock.json and copied here (static/) by the PWA build (pwa/scripts/api-docs.mjs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)

from server.web import NO_CACHE, send_file

STATIC = Path(__file__).resolve().parent / "static"
STATIC_URL = "/schema/static"  # the docs router is mounted at /schema (server/app.py)


def render_plugins() -> list[OpenAPIRenderPlugin]:
    return [
        SwaggerRenderPlugin(
            path=["/", "/swagger"],
            js_url=f"{STATIC_URL}/swagger-ui-bundle.js",
            css_url=f"{STATIC_URL}/swagger-ui.css",
            standalone_preset_js_url=f"{STATIC_URL}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{STATIC_URL}/favicon-32x32.png'>",
        ),
        JsonRenderPlugin(),
        YamlRenderPlugin(),
    ]


@get("/static/{name:str}", include_in_schema=False)
async def docs_static(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    """One vendored Swagger UI file. Names are matched against the folder's own listing, so no
    path can reach outside it; revalidated by ETag, since the names carry no version."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or name.endswith(".gz") or not path.is_file():
        raise NotFoundException(
            f"no such documentation file: {name}"
            + ("" if STATIC.is_dir() else " (build the PWA to vendor Swagger UI: make pwa)")
        )
    return await send_file(request, path, NO_CACHE)

"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from sqlalchemy import text

from server.auth.principal import PUBLIC
from server.db import Database
from server.db.migrate import SchemaMismatch, check_schema


@get("/health", opt=PUBLIC, tags=["ops"], summary="The process is alive")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/ready", opt=PUBLIC, tags=["ops"], summary="The database is reachable and migrated")
async def ready(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    db: Database = request.app.state.db
    try:
        async with db.reader.connect() as conn:
            await conn.execute(text("SELECT 1"))
        await check_schema(db)
    except SchemaMismatch as exc:
        return Response({"status": "not_ready", "reason": str(exc)}, status_code=503)
    except Exception as exc:  # any failure to reach the database means "not ready", not a crash
        return Response({"status": "not_ready", "reason": f"database unreachable: {exc}"}, status_code=503)
    return Response({"status": "ready"})

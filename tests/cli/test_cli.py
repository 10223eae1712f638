"""The `bodega` command as an operator uses it: verify and repair, user create, serve refusals, logs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select, text

from server.audit.models import AuditEntry
from server.bench.harness import ROOT, free_port, wait_server_ready
from tests.conftest import _sync_url, run
from tests.kit.world import seed_world


def bodega(*args: str, url: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"BODEGA_DATABASE_URL": url, "BODEGA_SECRET_KEY": "test"}
    return subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_verify_finds_drift_and_repair_records_it(database_url: str) -> None:
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 5}))
    clean = bodega("verify", url=database_url)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "balances match the ledger" in clean.stdout

    engine = create_engine(_sync_url(database_url))
    with engine.begin() as conn:
        conn.execute(text("UPDATE stock_balances SET on_hand = on_hand + 3, reserved = 2"))
    drifted = bodega("verify", url=database_url)
    assert drifted.returncode == 1
    assert "CASE-BLK @ VAL: on_hand is 8 in balances but 5 by the ledger" in drifted.stdout
    assert "reserved is 2 in balances but 0 by the ledger" in drifted.stdout

    repaired = bodega("verify", "--repair", url=database_url)
    assert "repaired 1 balance rows" in repaired.stdout
    assert bodega("verify", url=database_url).returncode == 0
    with engine.connect() as conn:
        audit = conn.execute(select(AuditEntry.action, AuditEntry.details)).all()
    engine.dispose()
    assert [a[0] for a in audit] == ["verify.repair"]
    assert any("on_hand is 8" in line for line in audit[0][1]["fixed"])


def test_user_create(database_url: str) -> None:
    made = bodega(
        "user",
        "create",
        "--username",
        "liza",
        "--role",
        "supervisor",
        url=database_url,
        stdin="long-password\nlong-password\n",
    )
    assert made.returncode == 0, made.stderr
    assert "created supervisor liza" in made.stdout
    again = bodega(
        "user",
        "create",
        "--username",
        "liza",
        "--role",
        "supervisor",
        url=database_url,
        stdin="long-password\nlong-password\n",
    )
    assert again.returncode != 0
    assert "already" in again.stderr


def test_serve_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    result = bodega("serve", "--port", str(free_port()), url=f"sqlite+aiosqlite:///{tmp_path / 'new.db'}")
    assert result.returncode != 0
    assert "run `bodega db upgrade`" in result.stderr


def test_logs_are_json_lines_with_the_request_id(sqlite_url: str) -> None:
    port = free_port()
    env = os.environ | {
        "BODEGA_DATABASE_URL": sqlite_url,
        "BODEGA_PORT": str(port),
        "BODEGA_SECRET_KEY": "test",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        wait_server_ready(f"http://127.0.0.1:{port}", server)
        response = httpx.get(
            f"http://127.0.0.1:{port}/api/v1/orders", headers={"X-Request-ID": "req-abc-123"}
        )
        assert response.status_code == 401
        assert response.headers["x-request-id"] == "req-abc-123"
        assert response.json()["request_id"] == "req-abc-123"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=15)
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    logged: list[dict[str, Any]] = [line for line in lines if line.get("request_id") == "req-abc-123"]
    assert logged, stderr
    assert logged[0]["status"] == 401
    assert logged[0]["path"] == "/api/v1/orders"


def test_openapi_describes_every_endpoint(client: Any) -> None:
    schema = client.get("/schema/openapi.json").json()
    documented = set(schema["paths"])
    for path in (
        "/api/v1/orders",
        "/api/v1/orders/batch",
        "/api/v1/stock",
        "/api/v1/stock/receipts",
        "/api/v1/auth/login",
    ):
        assert path in documented
    from server.app import create_app

    app = create_app(check_migrations=False)
    for route in app.routes:
        handlers = getattr(route, "route_handlers", [])
        if route.path.startswith("/schema") or not any(h.include_in_schema for h in handlers):
            continue  # the API docs themselves, and the phone app's files (not API)
        openapi_path = route.path
        for kind in (":uuid}", ":str}", ":int}", ":path}", ":date}"):
            openapi_path = openapi_path.replace(kind, "}")
        assert openapi_path in documented or openapi_path.rstrip("/") in documented, route.path


def test_db_restored_starts_a_new_sync_history_that_phones_reset_to(database_url: str, client: Any) -> None:
    from sync import PullRequest, PullResponse, decode
    from tests.kit.sync import post, seed

    world = seed(database_url)
    phone = world.phones["wh1"]
    first = decode(post(client, phone, PullRequest(v=1), endpoint="pull").content, PullResponse, "json")
    assert first.reset is None

    restored = bodega("db", "restored", url=database_url)
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert f"sync history {first.ep} -> " in restored.stdout

    again = decode(
        post(client, phone, PullRequest(v=1, cur=first.cur), endpoint="pull").content, PullResponse, "json"
    )
    assert again.reset is not None and again.reset.why == "epoch_changed"
    assert again.ep != first.ep and again.ep in restored.stdout
    engine = create_engine(_sync_url(database_url))
    with engine.connect() as conn:
        audit = conn.execute(select(AuditEntry.action, AuditEntry.details)).all()
    engine.dispose()
    assert audit == [("sync.new_epoch", {"from": first.ep, "to": again.ep})]


def test_bench_floor_prints_its_figures_as_the_last_line(sqlite_url: str) -> None:
    done = bodega("bench", "floor", url=sqlite_url)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("measure")
    figures = json.loads(lines[-1])
    assert figures["orders"] == 20_000
    # Storing the rows alone is faster than the whole transaction that decides what to store.
    assert figures["sql_floor_orders_per_s"] > figures["ingest_tx_orders_per_s"] > 0
    assert figures["sql_floor_push_ops_per_s"] > 0

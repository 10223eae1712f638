"""The `bodega` command: serve, migrate, load the demo, manage users, verify the ledger, benchmark."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from server.settings import load_settings
from server.writes import finish


@click.group()
def main() -> None:
    """Bodega: orders, stock and cash on delivery for Philippine online sellers."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations to BODEGA_DATABASE_URL."""
    from server.db.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url, revision)
    click.echo(f"database at {revision}: {settings.database_url}")


def _new_history(conn: Any) -> tuple[str, str]:
    """A new sync epoch, recorded in the audit log: (the old epoch, the new one)."""
    from sqlalchemy import insert

    from server.audit.models import AuditEntry
    from server.changes.log import read_head, start_new_epoch
    from server.db.base import utcnow

    before = read_head(conn)
    epoch = start_new_epoch(conn)
    old = before.epoch if before is not None else ""
    conn.execute(
        insert(AuditEntry).values(
            action="sync.new_epoch",
            actor="cli:db restored",
            details={"from": old, "to": epoch},
            at=utcnow(),
        )
    )
    return old, epoch


@db.command("restored")
def db_restored() -> None:
    """After restoring a backup: start a new sync history (epoch). Every phone is told to reset: it
    uploads again what the backup lost and downloads its data afresh."""
    from server.db import Database

    async def run() -> tuple[str, str]:
        database = Database(load_settings().database_url, finish=finish)
        try:
            return await database.run_write(_new_history)
        finally:
            await database.dispose()

    old, epoch = asyncio.run(run())
    click.echo(f"sync history {old or '(none)'} -> {epoch}: phones will reset on their next sync")


def _check_schema_or_exit(url: str) -> None:
    from server.db import Database
    from server.db.migrate import SchemaMismatch, check_schema

    async def check() -> None:
        database = Database(url, finish=finish)
        try:
            await check_schema(database)
        finally:
            await database.dispose()

    try:
        asyncio.run(check())
    except SchemaMismatch as exc:
        raise click.ClickException(str(exc)) from exc


def _serve(host: str | None, port: int | None, workers: int) -> None:
    import uvicorn

    from server.http_protocol import OneWriteHttpToolsProtocol

    settings = load_settings()
    _check_schema_or_exit(settings.database_url)
    uvicorn.run(
        "server.asgi:app",
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level="warning",
        access_log=False,
        # uvicorn would believe X-Forwarded-For from 127.0.0.1 by default; Bodega decides itself,
        # from BODEGA_TRUSTED_PROXIES (server/settings.py), so a local client cannot spoof it.
        proxy_headers=False,
        loop="uvloop",
        http=OneWriteHttpToolsProtocol,
    )


@main.command()
@click.option("--host", default=None, help="default BODEGA_HOST or 127.0.0.1")
@click.option("--port", type=int, default=None, help="default BODEGA_PORT or 8000")
@click.option(
    "--workers", type=int, default=1, show_default=True, help="server processes (PostgreSQL for more than 1)"
)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Run the HTTP server."""
    _serve(host, port, workers)


@main.command()
@click.option("--no-serve", is_flag=True, help="load the demo data and exit")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
def demo(no_serve: bool, host: str | None, port: int | None) -> None:
    """Migrate, load the demo seller (once), and serve."""
    from server.db.migrate import upgrade
    from server.demo.load import load_demo

    settings = load_settings()
    upgrade(settings.database_url)
    summary = asyncio.run(load_demo(settings.database_url))
    click.echo(summary)
    if not no_serve:
        click.echo(
            f"Bodega is starting on http://{host or settings.host}:{port or settings.port}/  (Ctrl+C to stop)"
        )
        _serve(host, port, 1)


@main.group()
def user() -> None:
    """Users."""


@user.command("create")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["admin", "supervisor", "warehouse", "rider"]), required=True)
@click.option("--full-name", default="")
@click.option("--warehouse", default=None, help="warehouse code, for warehouse staff")
@click.password_option()
def user_create(username: str, role: str, full_name: str, warehouse: str | None, password: str) -> None:
    """Create a user."""
    from server.auth.services import create_user_cli
    from server.db import Database
    from server.errors import BodegaError

    async def create() -> Any:
        database = Database(load_settings().database_url, finish=finish)
        try:
            return await create_user_cli(database, username, password, role, full_name, warehouse)
        finally:
            await database.dispose()

    try:
        created = asyncio.run(create())
    except BodegaError as exc:
        raise click.ClickException(
            f"{exc.detail}: " + "; ".join(f"{e.field} {e.message}" for e in exc.errors)
        ) from exc
    click.echo(f"created {created.role} {created.username}")


def _verify(conn: Any, repair: bool) -> tuple[list[str], int]:
    """`bodega verify` in one transaction: what to print, and the exit code."""
    from server import verify as checks

    report = checks.verify(conn)
    lines = [f"DRIFT {drift}" for drift in report.drift]
    lines += [f"ORPHAN {orphan}" for orphan in report.orphan_reservations]
    lines += [f"DRIFT {problem}" for problem in report.sync]
    lines += [f"BROKEN {problem}" for problem in report.broken]
    if report.ok:
        return [*lines, f"ok: {report.balances_checked} balances match the ledger"], 0
    if repair:
        fixed = checks.repair(conn, report, "cli:verify --repair")
        lines.append(f"repaired {fixed} balance rows from the ledger (audit log: verify.repair)")
    return lines, 1


@main.command()
@click.option(
    "--repair", is_flag=True, help="rewrite drifted balances from the ledger (recorded in the audit log)"
)
def verify(repair: bool) -> None:
    """Recompute every stock balance from the ledger; exit 1 if anything drifted."""
    from server.db import Database

    async def run() -> int:
        database = Database(load_settings().database_url, finish=finish)
        try:
            lines, code = await database.run_write(_verify, repair)
        finally:
            await database.dispose()
        for line in lines:
            click.echo(line)
        return code

    sys.exit(asyncio.run(run()))


@main.group()
def couriers() -> None:
    """Third-party couriers: COD remittance reports."""


@couriers.command("import-remittance")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--courier", required=True, help="the courier account's code, e.g. jnt")
def couriers_import_remittance(file: str, courier: str) -> None:
    """Import and reconcile a courier's remittance report (CSV or XLSX), with a progress bar."""
    from pathlib import Path

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from server.couriers import services
    from server.couriers.schemas import BatchOut
    from server.db import Database
    from server.errors import BodegaError

    path = Path(file)
    data = path.read_bytes()

    async def run() -> BatchOut:
        database = Database(load_settings().database_url, finish=finish)
        try:
            started = await services.start_remittance(database, courier, data, path.name, "cli:couriers")
            columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn())
            with Progress(*columns, TimeRemainingColumn()) as bar:
                task = bar.add_task(f"{courier} {path.name}", total=started.total)
                await services.run_remittance(
                    database, started, lambda done, _: bar.update(task, completed=done)
                )
                bar.update(task, completed=started.total)
            return await database.run_read(services.batch_out, started.batch_id)
        finally:
            await database.dispose()

    try:
        out = asyncio.run(run())
    except BodegaError as exc:
        raise click.ClickException(
            f"{exc.detail}: " + "; ".join(f"{e.field} {e.message}" for e in exc.errors)
        ) from exc
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(out.findings_by_kind.items())) or "none"
    click.echo(
        f"batch {out.id}: {out.rows_new:,} rows reconciled, {out.rows_rejected:,} rejected; findings: {kinds}"
    )


@main.group("ship-by")
def ship_by() -> None:
    """Ship-by deadlines."""


@ship_by.command("check")
@click.option("--warehouse", default=None, help="a warehouse code; default every warehouse")
def ship_by_check(warehouse: str | None) -> None:
    """Raise ship_by_at_risk for orders near or past their ship-by (what a periodic job runs)."""
    from server.db import Database
    from server.db.base import utcnow
    from server.picking.controllers import check_at_risk

    async def run() -> int:
        database = Database(load_settings().database_url, finish=finish)
        try:
            return await database.run_write(check_at_risk, warehouse, utcnow())
        finally:
            await database.dispose()

    click.echo(f"{asyncio.run(run())} orders newly at risk of missing their ship-by")


@main.group()
def cod() -> None:
    """Cash on delivery: the periodic checks."""


@cod.command("rts-overdue")
def cod_rts_overdue() -> None:
    """Raise rts_overdue for parcels returning to sender that are not back in time (a daily job)."""
    from server.cod.rts import raise_overdue
    from server.db import Database

    async def run() -> list[Any]:
        database = Database(load_settings().database_url, finish=finish)
        try:
            return await database.run_write(raise_overdue)
        finally:
            await database.dispose()

    raised = asyncio.run(run())
    click.echo(f"rts_overdue raised for {len(raised)} parcel(s)")


@main.command()
@click.argument(
    "name",
    type=click.Choice(
        [
            "ingest",
            "floor",
            "pwa",
            "sync",
            "fulfillment",
            "reconcile",
            "cod",
            "labels",
            "channels",
            "push",
            "alerts",
            "console",
        ]
    ),
)
@click.option("--duration", type=int, default=10, show_default=True, help="seconds per wrk run")
@click.option("--connections", type=int, default=64, show_default=True)
@click.option(
    "--workers", type=int, default=1, show_default=True, help="server processes (PostgreSQL for >1)"
)
@click.option(
    "--database-url",
    default=None,
    help="ingest, sync, reconcile, alerts: a PostgreSQL server (postgresql+asyncpg://user@host/db) to create "
    "a database of their own on, dropped after the run; default a fresh SQLite file",
)
@click.option(
    "--runs",
    type=int,
    default=1,
    show_default=True,
    help="ingest, sync, reconcile, labels: run N times; the last line then holds the median of each "
    "figure and its range",
)
def bench(
    name: str, duration: int, connections: int, workers: int, database_url: str | None, runs: int
) -> None:
    """Run a benchmark; the last line printed is one JSON object with its figures."""
    from server.bench.runs import repeat

    # The benchmarks are part of the installed package (server/bench/); only `pwa` needs the
    # source checkout, for the phone app's build and Playwright.
    if name == "pwa":
        from server.bench import pwa

        pwa.main()
        return
    if name == "reconcile":
        from server.bench import reconcile

        repeat(
            lambda: reconcile.main(database_url=database_url),
            runs,
            [("reconcile_rows_per_s", "reconciled (rows/s)")],
        )
        return
    if name == "channels":
        from server.bench import channels

        channels.main()
        return
    if name == "push":
        from server.bench import channel_push

        repeat(
            channel_push.main,
            runs,
            [("change_to_push_p50_s", "change -> last push p50 (s)"), ("change_to_push_p99_s", "p99 (s)")],
        )
        return
    if name == "alerts":
        from server.bench import alerts

        alerts.main(database_url=database_url)
        return
    if name == "floor":
        from server.bench import floor

        floor.main()
        return
    if name == "fulfillment":
        from server.bench import fulfillment

        fulfillment.main()
        return
    if name == "cod":
        from server.bench import cod

        cod.main()
        return
    if name == "console":
        from server.bench import console

        console.main(database_url=database_url)
        return
    if name == "labels":
        from server.bench import labels

        repeat(labels.main, runs, [("labels_per_s", "labels (labels/s)")])
        return
    if name == "sync":
        from server.bench import sync

        # --duration: seconds of the 500-phone phase
        repeat(
            lambda: sync.main(duration=duration, workers=workers, database_url=database_url),
            runs,
            [
                ("push_ops_per_s", "push (ops/s)"),
                ("pull_changes_per_s", "pull (changes/s)"),
                ("concurrent_p99_ms", "500 phones p99 (ms)"),
            ],
        )
        return
    from server.bench import ingest

    repeat(
        lambda: ingest.main(
            duration=duration, connections=connections, workers=workers, database_url=database_url
        ),
        runs,
        [
            ("orders_per_s", "single-order ingest (orders/s)"),
            ("p99_ms", "single-order p99 (ms)"),
            ("bulk_orders_per_s", "bulk ingest (orders/s)"),
        ],
    )


@main.group("channels")
def channels_group() -> None:
    """Sales channels: import Seller Center order exports, process stored webhooks."""


@channels_group.command("import-orders")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--shop", required=True, help="the shop's code")
@click.option("--platform", default=None, help="the export's format (default: the shop's platform)")
def channels_import_orders(file: str, shop: str, platform: str | None) -> None:
    """Import a Seller Center order export (CSV); importing it again changes nothing."""
    from server.intake.cli import import_file

    sys.exit(import_file(file, shop, platform, finish))


@channels_group.command("process-inbox")
@click.option("--limit", type=int, default=500, show_default=True)
def channels_process_inbox(limit: int) -> None:
    """Turn stored web store webhooks into orders (the platforms' hints need their API clients)."""
    from server.intake.cli import process_stored

    sys.exit(process_stored(limit, finish))


if __name__ == "__main__":
    main()

"""`bodega channels import-orders FILE --shop CODE`: the CSV import with a progress bar.

The command (server/cli.py) hands in the reactions its writes end with (`finish`, from
server/writes.py, which stands above this package)."""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Callable

import click

from server.db import Database
from server.db.reactions import Finish
from server.errors import BodegaError
from server.intake.csv_import import COLUMNS, ImportReport, import_orders, with_writer_process
from server.runtime import settle_garbage_collector
from server.settings import load_settings


def _count_orders(path: str, platform: str | None) -> int:
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.DictReader(f)
        headers = reader.fieldnames or []
        column = next(
            (
                cols["order_id"]
                for name, cols in COLUMNS.items()
                if (platform in (None, name)) and cols["order_id"] in headers
            ),
            None,
        )
        return len({row.get(column or "", "") for row in reader}) if column else 0


def import_file(path: str, shop: str, platform: str | None, finish: Finish) -> int:
    total = _count_orders(path, platform)

    with open(path, encoding="utf-8-sig", newline="") as f:
        text = f.read()

    # As in the server: the address tables and the file stay out of the cyclic collector's
    # walks, which otherwise cost reading and mapping more than half their time.
    settle_garbage_collector()

    async def run(bar_update: Callable[[int], None]) -> ImportReport:
        db = Database(load_settings().database_url, finish=finish)
        try:
            await with_writer_process(db)
            return await import_orders(db, shop, text, platform=platform, progress=bar_update)
        finally:
            await db.dispose()

    try:
        with click.progressbar(length=total, label="orders") as bar:
            report = asyncio.run(run(bar.update))
    except BodegaError as exc:
        raise click.ClickException(
            f"{exc.detail}: " + "; ".join(f"{e.field} {e.message}" for e in exc.errors)
        ) from exc
    outcomes = ", ".join(f"{n} {name}" for name, n in sorted(report.outcomes.items())) or "none ingested"
    click.echo(f"{report.rows} rows, {report.orders} orders: {outcomes}")
    if report.held:
        click.echo(f"{report.held} held (unmapped listing or unknown status): see the exceptions")
    if report.rejected_rows or report.rejected_orders:
        click.echo(
            f"rejected: {report.rejected_rows} unreadable rows, {report.rejected_orders} orders refused "
            "(kept in rejected_payloads with the reason)"
        )
        return 1
    return 0


def process_stored(limit: int, finish: Finish) -> int:
    """Process the stored webhooks that need no platform API (Shopify, WooCommerce) once."""
    from server.intake.inbox import InboxReport, process_inbox

    async def run() -> InboxReport:
        db = Database(load_settings().database_url, finish=finish)
        try:
            return await process_inbox(db, None, limit=limit)
        finally:
            await db.dispose()

    report = asyncio.run(run())
    outcomes = ", ".join(f"{n} {name}" for name, n in sorted(report.outcomes.items())) or "no orders"
    click.echo(
        f"{report.done} done ({outcomes}), {report.held} held, {report.review} waiting for status review, "
        f"{report.failed} failed"
    )
    return 0

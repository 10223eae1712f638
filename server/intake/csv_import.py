"""Importing Seller Center order exports (CSV) when webhooks and the API are not enough.

Each platform's export has its own headers (COLUMNS): one row per order line (Shopee) or per
unit (Lazada), the order's fields repeated on each row. Rows are grouped by order id into the same
ChannelOrder the API adapters produce, then mapped and ingested through the batch ingest path
(`record_orders` -> server/orders/ingest.py), in transactions of BATCH orders. Importing the same
file twice changes nothing (ingest is idempotent by shop + order id and payload). A row that
cannot be read, or an order ingestion refuses, is kept in rejected_payloads with the reason.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from server.channels.adapters.base import ChannelLine, ChannelOrder, RawAddress
from server.channels.values import MANILA, BadValue, centavos, qty, utc_time
from server.db import Database
from server.db.base import utcnow
from server.errors import BodegaError, FieldError, NotFound
from server.intake.inbox import record_orders
from server.intake.mapping import Mapped, ShopContext, load_context, to_order
from server.intake.statuses import Canonical
from server.orders.models import RejectedPayload
from server.orders.schemas import OrderIn

# Orders per transaction: the bulk endpoint's batch (server/bench/ingest.py BULK_BATCH), so the
# writer's work per order is the same and only reading the file could make the import slower.
BATCH = 1000
# Two batches handed to the writer at once: it starts the next as soon as one commits instead of
# idling while the answer travels back and the next batch is sent (reading and mapping an order
# takes ~24 µs, a fifth of the writer's time for it, so the writer is what sets the pace).
WRITES_IN_FLIGHT = 2
ACTOR = "csv-import"

# Our field -> the export's header. "unit_qty" platforms export one row per unit.
COLUMNS: dict[str, dict[str, str]] = {
    "shopee": {
        "order_id": "Order ID",
        "status": "Order Status",
        "placed_at": "Order Creation Date",
        "channel_sku": "SKU Reference No.",
        "parent_sku": "Parent SKU Reference No.",
        "qty": "Quantity",
        "unit_price": "Deal Price",
        "shipping_fee": "Buyer Paid Shipping Fee",
        "total": "Grand Total",
        "payment_method": "Payment Method",
        "name": "Receiver Name",
        "phone": "Phone Number",
        "street": "Delivery Address",
        "barangay": "District",
        "city": "City",
        "province": "Province",
        "zip_code": "Zip Code",
        "ship_by": "Estimated Ship Out Date",
    },
    "lazada": {
        "order_id": "Order Number",
        "line_id": "Order Item Id",
        "status": "Status",
        "placed_at": "Created at",
        "updated_at": "Updated at",
        "channel_sku": "Seller SKU",
        "unit_price": "Unit Price",
        "paid_price": "Paid Price",
        "shipping_fee": "Shipping Fee",
        "payment_method": "Payment Method",
        "name": "Shipping Name",
        "phone": "Shipping Phone Number",
        "street": "Shipping Address",
        "province": "Shipping Address3",
        "city": "Shipping Address4",
        "barangay": "Shipping Address5",
        "zip_code": "Shipping Postcode",
        "ship_by": "Promised shipping time",
    },
}
UNIT_ROWS = {"lazada"}
COD_WORDS = ("cod", "cash on delivery", "cash_on_delivery")
_DATE_FORMATS = ("%d %b %Y %H:%M", "%d %b %Y %H:%M:%S")
_ISO_MINUTES = re.compile(r"^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})(?::(\d{2}))?$")


@functools.lru_cache(maxsize=65536)
def export_time(value: str) -> datetime:
    """Seller Center times are Manila wall-clock: "2026-11-11 00:05" or "11 Nov 2026 00:05"."""
    text = value.strip()
    m = _ISO_MINUTES.match(text)
    if m:
        y, mo, d, h, mi, sec = (int(g) if g else 0 for g in m.groups())
        try:
            return datetime(y, mo, d, h, mi, sec, tzinfo=MANILA).astimezone(UTC)
        except ValueError:
            raise BadValue(f"{value!r} is not a time") from None
    for fmt in _DATE_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=MANILA).astimezone(UTC)
    return utc_time(text)


@dataclass
class ImportReport:
    rows: int = 0
    orders: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    held: int = 0
    rejected_rows: int = 0
    rejected_orders: int = 0


Row = list[str]


class Columns:
    """Where each of our fields is in the export's rows (by header name, once per file)."""

    def __init__(self, platform: str, header: list[str]) -> None:
        self.names = COLUMNS[platform]
        at = {name.strip(): i for i, name in enumerate(header)}
        self.header = header
        self.index = {field: at[h] for field, h in self.names.items() if h in at}

    def get(self, row: Row, name: str) -> str:
        i = self.index.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    def record(self, row: Row) -> dict[str, str]:
        """The row as the export's own headers, empty cells left out (kept as the raw payload)."""
        return {h: v for h, v in zip(self.header, row, strict=False) if v}


def group_rows(
    platform: str, cols: Columns, rows: Iterable[Row]
) -> Iterator[tuple[ChannelOrder | None, list[Row], str]]:
    """(order, its rows, "") per order id, or (None, rows, reason) for rows that cannot be read.

    Rows of one order need not be adjacent; each order is produced once all rows are read."""
    orders: dict[str, list[Row]] = {}
    for row in rows:
        order_id = cols.get(row, "order_id")
        if not order_id:
            yield None, [row], f"no {cols.names['order_id']!r}"
            continue
        orders.setdefault(order_id, []).append(row)
    for order_id, its_rows in orders.items():
        try:
            yield _order(platform, cols, order_id, its_rows), its_rows, ""
        except (BadValue, ValueError) as exc:
            yield None, its_rows, str(exc)


def _order(platform: str, cols: Columns, order_id: str, rows: list[Row]) -> ChannelOrder:
    get = cols.get
    first = rows[0]
    lines: list[ChannelLine] = []
    for n, row in enumerate(rows):
        sku = get(row, "channel_sku") or get(row, "parent_sku")
        if not sku:
            raise BadValue(f"row {n + 1} of order {order_id} has no {cols.names['channel_sku']!r}")
        count = 1 if platform in UNIT_ROWS else qty(get(row, "qty") or "1")
        lines.append(
            ChannelLine(
                item_id="",
                model_id="",
                channel_sku=sku,
                qty=count,
                unit_price=centavos(get(row, "unit_price") or "0"),
                external_line_id=get(row, "line_id"),
            )
        )
    cod = get(first, "payment_method").lower() in COD_WORDS
    placed = export_time(get(first, "placed_at"))
    updated = get(first, "updated_at")
    if platform in UNIT_ROWS:  # each unit row carries its share of the shipping fee
        shipping = sum(centavos(get(r, "shipping_fee") or "0") for r in rows)
    else:
        shipping = centavos(get(first, "shipping_fee") or "0")
    total_text = get(first, "total")
    if total_text:
        total = centavos(total_text)
    elif platform in UNIT_ROWS:
        total = sum(centavos(get(r, "paid_price") or get(r, "unit_price") or "0") for r in rows)
        total += shipping
    else:
        total = sum(line.unit_price * line.qty for line in lines) + shipping
    ship_by = get(first, "ship_by")
    return ChannelOrder(
        external_id=order_id,
        raw_status=get(first, "status"),
        cod=cod,
        placed_at=placed,
        updated_at=export_time(updated) if updated else placed,
        lines=lines,
        address=RawAddress(
            name=get(first, "name"),
            phone=get(first, "phone"),
            street=get(first, "street"),
            barangay=get(first, "barangay"),
            city=get(first, "city"),
            province=get(first, "province"),
            region=get(first, "province"),
            zip_code=get(first, "zip_code"),
        ),
        shipping_fee=shipping,
        cod_amount=total if cod else None,
        ship_by=export_time(ship_by) if ship_by else None,
        payload={"columns": cols.header, "rows": rows},
    )


def _context(conn: Connection, shop: str) -> ShopContext:
    ctx = load_context(conn, shop)
    if ctx is None:
        raise NotFound(f"no shop has the code {shop}", [FieldError("shop", "no shop has this code")])
    return ctx


def _keep_rejected(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(RejectedPayload), rows)


def _rejected(shop: str, rows: list[Any], reason: str, now: datetime) -> dict[str, Any]:
    return {
        "source": f"csv:{shop}"[:64],
        "body": msgspec.json.encode(rows).decode(),
        "problem": {"title": "row not imported", "detail": reason[:1000]},
        "received_at": now,
    }


# A plain order (not held, not flagged) travels to the writer as its OrderIn and the few channel
# fields `record_orders` reads (not `cod`, the lines or the address): unpickling a ChannelOrder and
# its Mapped cost the writer ~27 µs an order, against ~7 µs for this tuple and rebuilding them.
Plain = tuple[OrderIn, str, str, datetime, Canonical | None]  # order, id, raw status, updated, status
_NO_ADDRESS = RawAddress()


def _plain(m: Mapped) -> Mapped | Plain:
    if m.order is None or m.hold or m.flags:
        return m
    co = m.channel
    return (m.order, co.external_id, co.raw_status, co.updated_at, m.status)


def _unpacked(item: Mapped | Plain) -> Mapped:
    if isinstance(item, Mapped):
        return item
    order, external_id, raw_status, updated_at, status = item
    co = ChannelOrder(external_id, raw_status, False, order.placed_at, updated_at, [], _NO_ADDRESS)
    return Mapped(co, status, order)


def _external_id(item: Mapped | Plain) -> str:
    return item.channel.external_id if isinstance(item, Mapped) else item[1]


def _ingest(
    conn: Connection, batch: list[Mapped | Plain], ctx: ShopContext
) -> list[str | BodegaError | None]:
    """Each order's outcome (or refusal, or None: held): only what the report needs travels back."""
    mapped = [_unpacked(item) for item in batch]
    results = record_orders(conn, [(m, ctx) for m in mapped], actor=ACTOR, notable_only=True)
    return [r if r is None or isinstance(r, BodegaError) else r.outcome for r in results]


async def import_orders(
    db: Database,
    shop: str,
    text: str | Iterable[str],
    *,
    platform: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import one export file's text. `progress(n)` hears each batch of n orders done."""
    ctx = await db.run_read(_context, shop)
    platform = platform or ctx.platform
    if platform not in COLUMNS:
        raise BodegaError(f"no CSV column mapping for {platform}", [FieldError("platform", "not supported")])
    source = io.StringIO(text) if isinstance(text, str) else text
    reader = csv.reader(source)
    header = next(reader, [])
    cols = Columns(platform, [h.lstrip("\ufeff") for h in header])
    report = ImportReport()

    def rows() -> Iterator[Row]:
        for row in reader:
            if not any(row):
                continue
            report.rows += 1
            yield row

    now = utcnow()
    rejected: list[dict[str, Any]] = []
    batch: list[Mapped | Plain] = []
    batch_rows: list[list[Row]] = []
    # Batches are written while the next ones are read and mapped (the writes run elsewhere).
    writing: list[asyncio.Future[None]] = []

    async def write(done: list[Mapped | Plain], done_rows: list[list[Row]]) -> None:
        results = await db.run_write(_ingest, done, ctx)
        failed: list[dict[str, Any]] = []
        for m, its_rows, result in zip(done, done_rows, results, strict=True):
            if result is None:
                report.held += 1
            elif isinstance(result, BodegaError):
                report.rejected_orders += 1
                reasons = "; ".join(f"{e.field}: {e.message}" for e in result.errors) or result.detail
                failed.append(
                    _rejected(
                        shop,
                        [cols.record(r) for r in its_rows],
                        f"order {_external_id(m)}: {reasons}",
                        now,
                    )
                )
            else:
                report.outcomes[result] = report.outcomes.get(result, 0) + 1
        if failed:
            await db.run_write(_keep_rejected, failed)
        if progress is not None:
            progress(len(done))

    async def flush() -> None:
        while len(writing) >= WRITES_IN_FLIGHT:
            await writing.pop(0)
        if batch:
            writing.append(asyncio.ensure_future(write(list(batch), list(batch_rows))))
        batch.clear()
        batch_rows.clear()

    for order, its_rows, reason in group_rows(platform, cols, rows()):
        if order is None:
            report.rejected_rows += len(its_rows)
            rejected.append(_rejected(shop, [cols.record(r) for r in its_rows], reason, now))
            continue
        report.orders += 1
        batch.append(_plain(to_order(order, ctx)))
        batch_rows.append(its_rows)
        if len(batch) >= BATCH:
            await flush()
            await asyncio.sleep(0)  # let the write start before reading on
    await flush()
    for pending in writing:
        await pending
    if rejected:
        await db.run_write(_keep_rejected, rejected)
    return report


async def with_writer_process(db: Database) -> None:
    """On SQLite, write from a writer process of its own (as `bodega serve` does), so reading and
    mapping the file runs in parallel with the writes instead of sharing one interpreter."""
    if db.is_sqlite and db.writer_process is None:
        from server.db.writer import WriterProcess

        db.writer_process = WriterProcess(db.url)
        await db.writer_process.start()
        await db.run_write(_ready)  # the child has imported everything and holds its connection


def _ready(conn: Connection) -> None:
    return None

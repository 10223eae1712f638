"""Reading couriers' files: CSV or XLSX, with each courier's own column headers.

A courier's `remittance_columns` (or `status_columns`) maps our field to its header, e.g.
{"waybill": "Tracking No.", "collected": "COD Amount", "fee": "COD Fee", "remitted": "Net Payout"}.
The header row is the first row (of the first 20) holding the waybill's header: couriers put a
title and dates above their tables. A row that cannot be read is rejected with its reason and kept
(the caller stores it); a blank row is no row. Peso amounts become centavos once, here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from server.errors import FieldError, InvalidInput
from server.money import BadMoney, pesos_to_centavos

MANILA = ZoneInfo("Asia/Manila")
HEADER_SEARCH = 20
WAYBILL = 64
REMITTANCE_FIELDS = ("waybill", "collected", "remitted")  # required; "fee" is optional
STATUS_FIELDS = ("waybill", "status")  # required; "reason" and "at" are optional
_PESO_NOISE = re.compile(r"[₱,\s]|PHP|Php|php")

Cell = Any
Reject = tuple[int, dict[str, Any], str]  # (row number in the file, the row as read, why)


def _norm(header: Any) -> str:
    return " ".join(str(header or "").split()).casefold()


def is_xlsx(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04"  # an XLSX file is a zip


def read_cells(data: bytes) -> Iterator[list[Cell]]:
    """Every row of the file's first sheet (XLSX) or of the CSV, as a list of cells."""
    if is_xlsx(data):
        from openpyxl import load_workbook

        try:
            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise InvalidInput("not a readable XLSX file", [FieldError("file", str(exc)[:200])]) from exc
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            book.close()
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    yield from csv.reader(io.StringIO(text, newline=""))


# The common case, "1,299.50" or "349.5", read without the general path's clean-up.
_PLAIN = re.compile(r"(\d{1,3}(?:,\d{3})+|\d{1,10})(?:\.(\d\d?))?$")


def centavos(cell: Cell) -> int:
    """A peso amount as a courier writes it ("1,299.50", "₱349", 349.5 from a spreadsheet) in
    centavos; ValueError naming the problem when it is not one."""
    if type(cell) is str:
        plain = _PLAIN.match(cell)
        if plain is not None:
            whole, frac = plain.groups()
            cents = int(frac) * (10 if len(frac) == 1 else 1) if frac else 0
            return int(whole.replace(",", "")) * 100 + cents
    if isinstance(cell, bool) or cell is None:
        raise ValueError("no amount")
    if isinstance(cell, int):
        value = Decimal(cell)
    elif isinstance(cell, float | Decimal):
        value = Decimal(str(cell))  # the float's shortest repr: 349.5, not 349.49999...
    else:
        text = _PESO_NOISE.sub("", str(cell))
        if text.startswith("-"):
            raise ValueError(f"{cell!r} is negative")
        try:
            return pesos_to_centavos(text)
        except BadMoney as exc:
            raise ValueError(f"{cell!r} is not a peso amount") from exc
    try:
        cents = value * 100
        if cents != cents.to_integral_value() or cents < 0:
            raise ValueError(f"{cell!r} is not a peso amount with at most 2 decimals")
    except InvalidOperation as exc:
        raise ValueError(f"{cell!r} is not a peso amount") from exc
    return int(cents)


def when(cell: Cell, default: datetime) -> datetime:
    """A courier's time (a spreadsheet date, ISO text; Manila time when it names no zone) in UTC."""
    if cell is None or cell == "":
        return default
    if isinstance(cell, datetime):
        moment = cell
    else:
        try:
            moment = datetime.fromisoformat(str(cell).strip())
        except ValueError as exc:
            raise ValueError(f"{cell!r} is not a date and time (e.g. 2026-12-01 14:30)") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=MANILA)
    return moment.astimezone(UTC)


@dataclass
class Table:
    """A file's rows (row number, cells) and where each of our fields is among the cells."""

    where: dict[str, int]
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list[tuple[int, list[Cell]]])

    def fields(self, row: list[Cell]) -> dict[str, Cell]:
        """The row's cells under our field names."""
        return {f: (row[i] if i < len(row) else None) for f, i in self.where.items()}


def read_table(data: bytes, columns: Mapping[str, Any], required: tuple[str, ...]) -> Table:
    """The file's rows under the courier's headers. A required header the file lacks refuses the
    whole file (422 naming the column), since no row of it can be read."""
    missing_map = [f for f in required if not columns.get(f)]
    if missing_map:
        raise InvalidInput(
            "this courier has no column mapping for " + ", ".join(missing_map),
            [FieldError(f"columns.{f}", "not set for this courier") for f in missing_map],
        )
    wanted = {f: _norm(h) for f, h in columns.items() if h}
    cells = read_cells(data)
    where: dict[str, int] = {}
    line = 0
    for line, row in enumerate(cells, 1):
        headers = {_norm(c): i for i, c in enumerate(row) if c not in (None, "")}
        if wanted["waybill"] in headers:
            where = {f: headers[h] for f, h in wanted.items() if h in headers}
            break
        if line >= HEADER_SEARCH:
            break
    absent = [f for f in required if f not in where]
    if absent:
        raise InvalidInput(
            "the file lacks columns this courier's reports have",
            [FieldError(f"file.{f}", f"no column headed {columns[f]!r}") for f in absent],
        )
    # A blank row is no row; any() first: cheap, and only a row with nothing truthy can be blank.
    rows = [(n, row) for n, row in enumerate(cells, line + 1) if any(row) or not _blank(row)]
    return Table(where, rows)


def _blank(row: list[Cell]) -> bool:
    return all(c in (None, "") for c in row)


def text_of(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))  # a numeric waybill read from a spreadsheet
    return str(cell).strip()


def raw(fields: dict[str, Cell]) -> dict[str, Any]:
    """A row as JSON can keep it."""
    return {k: (v if isinstance(v, int | float | str) or v is None else str(v)) for k, v in fields.items()}


_TOTALS = re.compile(r"^(grand\s+|sub\s*)?totals?\b", re.IGNORECASE)


def _amount(cell: Cell, name: str) -> int:
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        raise ValueError(f"{name}: no amount")
    try:
        return centavos(cell)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc


@dataclass
class RemittanceFile:
    lines: list[tuple[int, str, int, int, int]]  # (row number, waybill, collected, fee, remitted)
    rejects: list[Reject]


class RemittanceReader:
    """Reads a remittance report's rows slice by slice, in file order (so an import can write one
    slice while it reads the next), remembering the waybills already read: a row with no waybill,
    an amount that is not one, a totals line or a waybill already on an earlier row is rejected
    with its reason."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.seen: dict[str, int] = {}
        # A report repeats the same few prices and fees: each distinct text is read once.
        self.known: dict[Cell, int] = {}

    def _money(self, cell: Cell, name: str) -> int:
        if type(cell) is str:
            cents = self.known.get(cell)
            if cents is None:
                cents = self.known[cell] = _amount(cell, name)
            return cents
        return _amount(cell, name)

    def read(self, rows: list[tuple[int, list[Cell]]]) -> RemittanceFile:
        where = self.table.where
        iw, ic, ir = where["waybill"], where["collected"], where["remitted"]
        i_fee = where.get("fee")
        widest = max(where.values())
        seen, amount, known = self.seen, self._money, self.known
        lines: list[tuple[int, str, int, int, int]] = []
        rejects: list[Reject] = []
        keep = lines.append
        for line, cells in rows:
            row = cells if len(cells) > widest else [*cells, *([None] * (widest + 1 - len(cells)))]
            waybill = row[iw]
            waybill = waybill.strip() if type(waybill) is str else text_of(waybill)
            try:
                if not waybill:
                    raise ValueError("no waybill")
                if len(waybill) > WAYBILL:
                    raise ValueError(f"waybill longer than {WAYBILL} characters")
                if waybill in seen:
                    raise ValueError(f"waybill {waybill} already on row {seen[waybill]} of this file")
                if waybill[0] in "TtGgSs" and _TOTALS.match(waybill):
                    raise ValueError("a totals line, not a parcel")
                # known.get first: most amounts were read before (a call saved per cell).
                cell = row[ic]
                collected = known.get(cell) if type(cell) is str else None
                if collected is None:
                    collected = amount(cell, "collected")
                cell = row[ir]
                remitted = known.get(cell) if type(cell) is str else None
                if remitted is None:
                    remitted = amount(cell, "remitted")
                cell = row[i_fee] if i_fee is not None else None
                # No fee column (or a blank fee): what the courier kept is collected less remitted.
                if cell is None or cell == "":
                    fee = collected - remitted
                else:
                    fee = known.get(cell) if type(cell) is str else None
                    if fee is None:
                        fee = amount(cell, "fee")
            except ValueError as exc:
                rejects.append((line, raw(self.table.fields(row)), str(exc)))
                continue
            seen[waybill] = line
            keep((line, waybill, collected, fee, remitted))
        return RemittanceFile(lines, rejects)


def remittance_table(data: bytes, columns: Mapping[str, Any]) -> Table:
    """A remittance report's rows, not read yet (a 422 when it lacks the courier's columns)."""
    return read_table(data, columns, REMITTANCE_FIELDS)


def read_remittance(data: bytes, columns: Mapping[str, Any]) -> RemittanceFile:
    """A whole remittance report read at once."""
    table = remittance_table(data, columns)
    return RemittanceReader(table).read(table.rows)

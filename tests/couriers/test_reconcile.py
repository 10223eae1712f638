"""Reconciling a courier's COD remittance over crafted files with every kind of discrepancy, on
both databases: short remittance, fee above contract, delivered but not remitted in time, unknown
waybill, a row in two batches, money for a parcel we hold as returned; rejected rows kept with
their reasons; the same file twice changes nothing; the reports (CSV, and PDF read back)."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pypdf import PdfReader
from sqlalchemy import func, select

from server.couriers import services
from server.couriers.accounts import load_courier
from server.couriers.remittances import reconcile_chunk
from server.couriers.sheets import RemittanceReader, read_remittance
from server.db import Database
from server.exceptions.models import ExceptionRecord
from tests.conftest import run
from tests.couriers.kit import FIXTURES, SECRET, add_courier, attach, seed_orders, webhook
from tests.kit.pdf import bar_values

HEADER = ["Waybill No.", "Delivered Date", "COD Amount", "COD Fee", "Net Remittance"]
# J&T's sample contract: 1.5% of the COD collected, at least 15.00, plus 12% VAT.
ORDERS = [
    ("OK-1", "shipped", 129900),
    ("OK-2", "shipped", 34900),
    ("SHORT-1", "shipped", 100000),
    ("FEE-1", "shipped", 200000),
    ("LATE-1", "shipped", 50000),
    ("RTS-1", "shipped", 75000),
]


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["J&T Express COD Remittance Report"])
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue().encode()


BATCH_1 = _csv(
    [
        ["JT-OK-1", "2026-12-01", "1,299.00", "21.83", "1,277.17"],  # matches the contract
        ["JT-OK-2", "2026-12-01", "349.00", "16.80", "332.20"],  # matches (the minimum fee + VAT)
        ["JT-SHORT-1", "2026-12-01", "1000.00", "16.80", "900.00"],  # 83.20 missing
        ["JT-FEE-1", "2026-12-01", "2000.00", "50.00", "1950.00"],  # allowed 33.60: 16.40 too much
        ["JT-NOT-OURS", "2026-12-01", "450.00", "16.80", "433.20"],  # unknown waybill
        ["JT-RTS-1", "2026-12-01", "750.00", "16.80", "733.20"],  # we hold it as returning
        ["JT-OK-1", "2026-12-01", "1,299.00", "21.83", "1,277.17"],  # twice in one file: rejected
        ["JT-BAD", "2026-12-01", "12.345", "0", "0"],  # not a peso amount: rejected
        ["", "", "", "", ""],  # blank: no row at all
        ["TOTAL", "", "7,597.00", "155.03", "6,825.97"],  # a totals line: rejected
    ]
)
BATCH_2 = _csv(
    [
        ["JT-OK-2", "2026-12-01", "349.00", "16.80", "332.20"],  # already in batch 1
    ]
)


def _import(admin: Any, data: bytes, name: str, status: int = 202) -> dict[str, Any]:
    answer = admin.post(f"/api/v1/couriers/jnt/remittances?filename={name}", content=data)
    assert answer.status_code == status, answer.text
    return answer.json()


def _exceptions(url: str) -> dict[str, int]:
    async def count() -> dict[str, int]:
        db = Database(url)
        try:
            async with db.read() as s:
                rows = await s.execute(
                    select(ExceptionRecord.kind, func.count())
                    .where(ExceptionRecord.kind.like("courier_%"))
                    .group_by(ExceptionRecord.kind)
                )
                return {k: int(n) for k, n in rows}
        finally:
            await db.dispose()

    return run(count())


def _prepare(admin: Any, url: str) -> dict[str, uuid.UUID]:
    ids = run(seed_orders(url, ORDERS))
    add_courier(admin, "jnt", webhook_secret=SECRET)
    attach(admin, "jnt", {ids[k]: f"JT-{k}" for k, _, _ in ORDERS})
    recent = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    long_ago = (datetime.now(UTC) - timedelta(days=40)).isoformat()
    events = [
        {"waybill": f"JT-{k}", "status": "DELIVERED", "at": recent}
        for k in ("OK-1", "OK-2", "SHORT-1", "FEE-1")
    ]
    events += [
        {"waybill": "JT-LATE-1", "status": "DELIVERED", "at": long_ago},
        {"waybill": "JT-RTS-1", "status": "PROBLEMATIC", "reason": "CUSTOMER REFUSED", "at": long_ago},
        {"waybill": "JT-RTS-1", "status": "RETURNING", "at": recent},
    ]
    answer = webhook(admin, "jnt", events)
    assert answer.status_code == 200, answer.text
    assert answer.json()["applied"] == len(events)
    return ids


def test_every_kind_of_discrepancy_is_found_once(admin: Any, database_url: str) -> None:
    ids = _prepare(admin, database_url)
    assert admin.get(f"/api/v1/orders/{ids['RTS-1']}").json()["status"] == "return_to_sender"
    assert admin.get(f"/api/v1/orders/{ids['OK-1']}").json()["status"] == "delivered"

    first = _import(admin, BATCH_1, "batch-1.csv")
    batch = admin.get(f"/api/v1/remittances/{first['id']}").json()
    assert batch["status"] == "done" and batch["progress"] == 1.0
    assert (batch["rows_total"], batch["rows_new"], batch["rows_rejected"]) == (9, 6, 3)
    findings = admin.get(f"/api/v1/remittances/{first['id']}/findings").json()
    found = {(f["kind"], f["waybill"]): f["amount"] for f in findings}
    assert found == {
        ("short_remittance", "JT-SHORT-1"): 8320,
        ("fee_above_contract", "JT-FEE-1"): 1640,
        ("unknown_waybill", "JT-NOT-OURS"): 43320,
        ("remitted_for_returned", "JT-RTS-1"): 73320,
        ("not_remitted", "JT-LATE-1"): 50000,
    }
    assert batch["findings"] == 5
    assert all(f["exception"] for f in findings)
    assert _exceptions(database_url) == {
        "courier_short_remittance": 1,
        "courier_fee_above_contract": 1,
        "courier_unknown_waybill": 1,
        "courier_remitted_for_returned": 1,
        "courier_not_remitted": 1,
    }
    rejects = admin.get(f"/api/v1/remittances/{first['id']}/rejects").json()
    assert [(r["row"], r["reason"]) for r in rejects] == [
        (9, "waybill JT-OK-1 already on row 3 of this file"),
        (10, "collected: '12.345' is not a peso amount"),
        (12, "a totals line, not a parcel"),
    ]
    assert batch["remitted_total"] == 127717 + 33220 + 90000 + 195000 + 43320 + 73320

    # The same file again is the same batch: nothing new, nothing raised twice.
    again = _import(admin, BATCH_1, "batch-1-again.csv", status=200)
    assert again["id"] == first["id"] and again["rows_new"] == 6
    # A new file repeating a waybill already remitted: counted once, flagged.
    second = _import(admin, BATCH_2, "batch-2.csv")
    findings_2 = admin.get(f"/api/v1/remittances/{second['id']}/findings").json()
    assert [(f["kind"], f["waybill"], f["amount"]) for f in findings_2] == [
        ("duplicate_across_batches", "JT-OK-2", 33220)
    ]
    counts = _exceptions(database_url)
    assert counts["courier_not_remitted"] == 1 and counts["courier_duplicate_across_batches"] == 1
    assert sum(counts.values()) == 6


def test_the_reports_say_what_was_found(admin: Any, database_url: str) -> None:
    _prepare(admin, database_url)
    batch = _import(admin, BATCH_1, "batch-1.csv")
    pdf = admin.get(f"/api/v1/remittances/{batch['id']}/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    for words in (
        "COD remittance reconciliation: jnt",
        "short remittance",
        "fee above contract",
        "not remitted",
        "unknown waybill",
        "remitted for returned",
        "JT-SHORT-1",
        "PHP 83.20",
        "a totals line, not a parcel",
    ):
        assert words in text, words
    # The charts a finance person reads, each bar labelled with its amount (drawn bottom up).
    assert "COD expected, collected and remitted (PHP)" in text
    assert "Matched, short and missing by amount (PHP)" in text
    batch = admin.get(f"/api/v1/remittances/{batch['id']}").json()  # as reconciled
    totals = [batch["expected_total"], batch["collected_total"], batch["remitted_total"]]
    # Matched (remitted less what came for returned and unknown waybills), fees within the
    # contract, short, not remitted, fees above, for returned, unknown, duplicates: by amount.
    matched = batch["remitted_total"] - 73320 - 43320
    outcome = [matched, batch["fee_total"] - 1640, 8320, 50000, 1640, 73320, 43320, 0]
    assert bar_values(pdf.content) == [f"{c / 100:,.2f}" for c in [*totals[::-1], *outcome[::-1]]]
    report = admin.get(f"/api/v1/remittances/{batch['id']}/report.csv")
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert {(r["kind"], r["waybill"], r["amount"]) for r in rows if r["kind"] == "short_remittance"} == {
        ("short_remittance", "JT-SHORT-1", "83.20")
    }
    assert sum(r["kind"] == "rejected_row" for r in rows) == 3


def test_an_import_cut_short_is_finished_by_importing_again(admin: Any, database_url: str) -> None:
    _prepare(admin, database_url)

    async def cut_short_then_again() -> tuple[int, int, int]:
        db = Database(database_url)
        try:
            started = await services.start_remittance(db, "jnt", BATCH_1, "b1.csv", "test", in_thread=False)
            courier = await db.run_read(load_courier, "jnt")
            # The first rows went in before the process died.
            first = RemittanceReader(started.table).read(started.table.rows[:3])
            await db.run_write(reconcile_chunk, courier, started.batch_id, first.lines, first.rejects)
            midway = await db.run_read(services.batch_out, started.batch_id)
            # What a poller sees while the import runs.
            assert (midway.status, midway.rows_done, midway.rows_total) == ("importing", 3, 9)
            assert 0 < midway.progress < 1
            again = await services.start_remittance(db, "jnt", BATCH_1, "b1.csv", "test", in_thread=False)
            assert (again.batch_id, again.status) == (started.batch_id, "importing")
            await services.run_remittance(db, again)
            out = await db.run_read(services.batch_out, started.batch_id)
            return out.rows_new, out.rows_done, out.findings
        finally:
            await db.dispose()

    assert run(cut_short_then_again()) == (6, 9, 5)


def test_the_sample_files_of_two_couriers_reconcile(admin: Any, database_url: str) -> None:
    ids = run(
        seed_orders(
            database_url,
            [
                ("A-1", "delivered", 129900),
                ("A-2", "delivered", 34950),
                ("A-3", "delivered", 79900),
                ("B-1", "delivered", 129900),
                ("B-2", "delivered", 34900),
                ("B-3", "delivered", 59950),
            ],
        )
    )
    add_courier(admin, "ninjavan")
    add_courier(admin, "jnt")
    attach(admin, "ninjavan", {ids[f"A-{n}"]: f"NVPHBODEG00000{n}" for n in (1, 2, 3)})
    attach(admin, "jnt", {ids[f"B-{n}"]: f"JT000000000{n}" for n in (1, 2, 3)})
    for code, name in (("ninjavan", "ninjavan_remittance.xlsx"), ("jnt", "jnt_remittance.csv")):
        answer = admin.post(
            f"/api/v1/couriers/{code}/remittances?filename={name}", content=(FIXTURES / name).read_bytes()
        )
        assert answer.status_code == 202, answer.text
        batch = admin.get(f"/api/v1/remittances/{answer.json()['id']}").json()
        assert (batch["status"], batch["rows_new"], batch["findings"]) == ("done", 3, 0), batch
        assert batch["rows_rejected"] >= 1  # each sample has a row that cannot be read


def test_a_file_without_the_couriers_columns_is_refused_whole(admin: Any, database_url: str) -> None:
    run(seed_orders(database_url, []))
    add_courier(admin, "jnt")
    answer = admin.post("/api/v1/couriers/jnt/remittances", content=b"Tracking,Amount\nX,1.00\n")
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in answer.json()["errors"]} == {
        "file.waybill",
        "file.collected",
        "file.remitted",
    }
    assert admin.post("/api/v1/couriers/nobody/remittances", content=b"x").status_code == 404


def test_parsing_the_sample_files() -> None:
    jnt = read_remittance(
        (FIXTURES / "jnt_remittance.csv").read_bytes(),
        {"waybill": "Waybill No.", "collected": "COD Amount", "fee": "COD Fee", "remitted": "Net Remittance"},
    )
    assert jnt.lines == [
        (6, "JT0000000001", 129900, 2183, 127717),
        (7, "JT0000000002", 34900, 1680, 33220),
        (8, "JT0000000003", 59950, 1680, 58270),
    ]
    assert [(n, why) for n, _, why in jnt.rejects] == [
        (9, "collected: no amount"),
        (11, "a totals line, not a parcel"),
    ]
    nv = read_remittance(
        (FIXTURES / "ninjavan_remittance.xlsx").read_bytes(),
        {"waybill": "Tracking ID", "collected": "COD Collected", "remitted": "Amount Remitted"},
    )
    # No fee column: the fee is what was collected less what was remitted. Spreadsheet floats are exact.
    assert nv.lines[1] == (6, "NVPHBODEG000002", 34950, 1903, 33047)
    assert [(n, why) for n, _, why in nv.rejects] == [(8, "collected: 'abc' is not a peso amount")]

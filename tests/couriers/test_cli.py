"""`bodega couriers import-remittance FILE --courier X` (with its progress bar) and the
reconcile benchmark's last line."""

from __future__ import annotations

import json
from typing import Any

from server.bench import reconcile
from server.couriers.accounts import save_courier
from server.db import Database
from tests.cli.test_cli import bodega
from tests.conftest import run
from tests.couriers.kit import COURIERS, FIXTURES, seed_orders


def _jnt(conn: Any) -> None:
    terms = COURIERS["jnt"]
    save_courier(
        conn,
        "jnt",
        {
            "name": terms["name"],
            "fee_percent_bp": terms["fee"]["percent_bp"],
            "fee_min": terms["fee"]["minimum"],
            "fee_flat": terms["fee"]["flat"],
            "vat_bp": terms["fee"]["vat_bp"],
            "cycle": "weekly",
            "cycle_days": 7,
            "cycle_weekday": 4,
            "grace_days": 3,
            "webhook_secret": "",
            "remittance_columns": terms["remittance_columns"],
            "status_columns": {},
            "status_map": {},
            "reason_map": {},
        },
    )


async def _seed(url: str) -> None:
    await seed_orders(url, [])
    db = Database(url)
    try:
        await db.run_write(_jnt)
    finally:
        await db.dispose()


def test_import_remittance_from_the_command_line(sqlite_url: str) -> None:
    run(_seed(sqlite_url))
    path = str(FIXTURES / "jnt_remittance.csv")
    done = bodega("couriers", "import-remittance", path, "--courier", "jnt", url=sqlite_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5/5" in done.stdout  # the progress bar's last state: every row of the file
    # No parcel was handed to J&T in this database: every waybill is unknown.
    assert "3 rows reconciled, 2 rejected; findings: unknown_waybill 3" in done.stdout
    again = bodega("couriers", "import-remittance", path, "--courier", "jnt", url=sqlite_url)
    assert again.returncode == 0 and "3 rows reconciled, 2 rejected" in again.stdout  # the same batch
    nobody = bodega("couriers", "import-remittance", path, "--courier", "nobody", url=sqlite_url)
    assert nobody.returncode != 0 and "no courier 'nobody'" in nobody.stderr


def test_bench_reconcile_prints_its_figures_as_the_last_line(capsys: Any) -> None:
    reconcile.main(rows=3_000)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("measure")
    figures = json.loads(lines[-1])
    assert figures["rows_written"] == 3_000 and figures["findings_ok"] is True
    assert figures["reconcile_rows_per_s"] > 0

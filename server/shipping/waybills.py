"""Waybill numbers: one sequence per carrier, in the carrier's own style.

A courier's waybill is normally issued by the courier's API; until a courier integration does that,
Bodega keeps a sequence per courier with the courier's prefix (J&T's JT…, Flash's TH…), so labels,
manifests and remittance matching already work with one number per parcel. Our own riders carry
Bodega's numbers (BDG…). A waybill the packer scanned off a pre-printed courier label is used as is.
"""

from __future__ import annotations

import re

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from server.shipping.models import WaybillSequence

OWN = ""  # the carrier code of our own riders
# Prefixes of the couriers Philippine sellers use most; any other courier gets its code, upper-cased.
PREFIXES = {
    OWN: "BDG",
    "jnt": "JT",
    "flash": "TH",
    "ninjavan": "NV",
    "lbc": "LBC",
    "jrs": "JRS",
    "xde": "XDE",
    "spx": "SPXPH",
    "lex": "LEXPH",
    "grab": "GRB",
    "lalamove": "LLM",
}
DIGITS = 10
COURIER_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def prefix_of(courier: str) -> str:
    return PREFIXES.get(courier) or re.sub(r"[^A-Z0-9]", "", courier.upper())[:6] or "BDG"


def format_waybill(courier: str, number: int) -> str:
    return f"{prefix_of(courier)}{number:0{DIGITS}d}"


def next_waybill(conn: Connection, courier: str) -> str:
    """The carrier's next waybill: an atomic increment of its sequence row (created on first use)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(WaybillSequence)
        .values(courier=courier, next_no=1)
        .on_conflict_do_update(index_elements=["courier"], set_={"next_no": WaybillSequence.next_no + 1})
        .returning(WaybillSequence.next_no)
    )
    number = int(conn.execute(stmt).scalar_one())
    return format_waybill(courier, number)

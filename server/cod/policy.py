"""The seller's cash-on-delivery rules: how many failed attempts before a parcel goes back, which
reasons send it straight back, when a returning parcel is overdue, and how much COD a rider may
carry. One row (cod_policy id 1) plus a ceiling per rider; the defaults hold until someone sets them."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.audit.record import audit, changes
from server.cod.models import CodPolicy, RiderCeiling
from server.db.base import utcnow
from server.db.bulk import upsert_rows

MAX_ATTEMPTS = 3
STRAIGHT_TO_RTS = ("refused",)  # the buyer said no at the door: another trip will not change it
RTS_OVERDUE_DAYS = 7
CASH_CEILING = 20_000_00  # ₱20,000 in centavos


@dataclass(frozen=True)
class Policy:
    max_attempts: int = MAX_ATTEMPTS
    straight_to_rts: tuple[str, ...] = STRAIGHT_TO_RTS
    rts_overdue_days: int = RTS_OVERDUE_DAYS
    cash_ceiling: int = CASH_CEILING


def read_policy(conn: Connection) -> Policy:
    row = conn.execute(
        select(
            CodPolicy.max_attempts,
            CodPolicy.straight_to_rts,
            CodPolicy.rts_overdue_days,
            CodPolicy.cash_ceiling,
        ).where(CodPolicy.id == 1)
    ).first()
    if row is None:
        return Policy()
    reasons = tuple(r for r in str(row[1]).split(",") if r)
    return Policy(int(row[0]), reasons, int(row[2]), int(row[3]))


def write_policy(conn: Connection, policy: Policy, actor: str) -> None:
    """The one writer of the COD rules, audited with what changed."""
    before = read_policy(conn)
    row = {
        "id": 1,
        "max_attempts": policy.max_attempts,
        "straight_to_rts": ",".join(policy.straight_to_rts),
        "rts_overdue_days": policy.rts_overdue_days,
        "cash_ceiling": policy.cash_ceiling,
        "updated_by": actor[:64],
        "updated_at": utcnow(),
    }
    upsert_rows(conn, CodPolicy, ("id",), [row], update=tuple(k for k in row if k != "id"))
    audit(conn, "cod.policy.changed", actor, "cod_policy", "1", **changes(asdict(before), asdict(policy)))


def ceiling_of(conn: Connection, rider: str, policy: Policy | None = None) -> int:
    own = conn.execute(select(RiderCeiling.cash_ceiling).where(RiderCeiling.rider == rider)).scalar()
    if own is not None:
        return int(own)
    return (policy or read_policy(conn)).cash_ceiling


def set_ceiling(conn: Connection, rider: str, centavos: int, actor: str) -> None:
    """A rider's own cash ceiling, audited (before: the ceiling the rider had, own or the policy's)."""
    before = ceiling_of(conn, rider)
    row = {"rider": rider[:64], "cash_ceiling": centavos, "updated_by": actor[:64], "updated_at": utcnow()}
    upsert_rows(conn, RiderCeiling, ("rider",), [row], update=("cash_ceiling", "updated_by", "updated_at"))
    diff = changes({"cash_ceiling": before}, {"cash_ceiling": centavos})
    audit(conn, "cod.ceiling.changed", actor, "rider", rider, **diff)

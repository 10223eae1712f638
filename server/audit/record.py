"""The audit log's one writer: an administrative change, who made it, and what it touched."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import msgspec
from sqlalchemy import insert
from sqlalchemy.engine import Connection

from server.audit.models import AuditEntry
from server.db.base import utcnow


def audit(
    conn: Connection, action: str, actor: str, entity: str = "", entity_id: str = "", **details: Any
) -> None:
    """Record an administrative change in the caller's transaction (it commits with the change).
    Never pass a secret in `details`: say whether it changed instead."""
    conn.execute(
        insert(AuditEntry).values(
            action=action[:64],
            actor=actor[:64],
            entity=entity[:32],
            entity_id=entity_id[:64],
            details=msgspec.to_builtins(details),
            at=utcnow(),
        )
    )


def changes(
    before: Mapping[str, Any], after: Mapping[str, Any], secrets: Iterable[str] = ()
) -> dict[str, Any]:
    """What an audit entry says changed between two versions of a settings document or row: the
    fields that differ as {"before": {...}, "after": {...}}, JSON-ready. A secret's value is never
    written: `secrets` are named under "secrets" as set, changed or cleared."""
    hidden = set(secrets)
    old = msgspec.to_builtins({k: v for k, v in before.items() if k not in hidden})
    new = msgspec.to_builtins({k: v for k, v in after.items() if k not in hidden})
    keys = [k for k in {**old, **new} if old.get(k) != new.get(k)]
    out: dict[str, Any] = {
        "before": {k: old.get(k) for k in keys},
        "after": {k: new.get(k) for k in keys},
    }
    told = {s: _secret_change(before.get(s) or "", after.get(s) or "") for s in sorted(hidden)}
    told = {s: how for s, how in told.items() if how}
    if told:
        out["secrets"] = told
    return out


def _secret_change(old: str, new: str) -> str:
    if old == new:
        return ""
    return "set" if not old else "cleared" if not new else "changed"

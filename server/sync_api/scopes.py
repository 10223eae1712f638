"""Which slices of the server's data a device may read, and what the entities in them look like.

| role       | scopes                                        | entities                                  |
|------------|-----------------------------------------------|-------------------------------------------|
| rider      | runs:<username>, cash:<username>              | stop (its run's orders), cash (in hand)   |
| warehouse  | wh:<warehouse code>, catalog                  | bin (units per bin/SKU), task, sku        |
| supervisor | exceptions, cash:<username>                   | exception (open ones), cash               |
| admin      | catalog, exceptions, cash:<username>          |                                           |

Entity values are small JSON objects (integers and strings only: they are checksummed as
canonical JSON). Cash is held by people, so its scope is the username, not the device.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import Principal
from server.inventory.models import Warehouse

CATALOG = "catalog"
EXCEPTIONS = "exceptions"

# Order statuses in which an order is work for its warehouse (a task on the warehouse's phones).
TASK_STATUSES = frozenset({"allocated", "picking", "packed"})


def wh_scope(code: str) -> str:
    return f"wh:{code}"


def cash_scope(holder: str) -> str:
    return f"cash:{holder}"


def runs_scope(username: str) -> str:
    return f"runs:{username}"


def scopes_for(conn: Connection, principal: Principal) -> tuple[str, ...]:
    """The caller's scopes, sorted. Decided by the server from the user, never asked of the device."""
    role, name = principal.role, principal.username
    if role == "rider":
        scopes = [runs_scope(name), cash_scope(name)]
    elif role == "warehouse":
        scopes = [CATALOG]
        if principal.warehouse_id is not None:
            if conn.dialect.name == "sqlite":
                found = conn.exec_driver_sql(
                    "SELECT code FROM warehouses WHERE id = ?", (principal.warehouse_id.hex,)
                ).first()
                code = found[0] if found else None
            else:
                code = conn.execute(
                    select(Warehouse.code).where(Warehouse.id == principal.warehouse_id)
                ).scalar()
            if code is not None:
                scopes.append(wh_scope(code))
    elif role == "supervisor":
        scopes = [EXCEPTIONS, cash_scope(name)]
    else:
        scopes = [CATALOG, EXCEPTIONS, cash_scope(name)]
    return tuple(sorted(scopes))


def bin_key(bin_code: str, sku_code: str) -> str:
    return f"{bin_code}/{sku_code}"


def exception_value(kind: str, message: str, order: str) -> dict[str, Any]:
    return {"kind": kind, "message": message, "order": order}


def order_ref(order_id: uuid.UUID) -> str:
    """How an order is named to devices and in op payloads: its id."""
    return str(order_id)

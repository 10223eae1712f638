"""Which slices of the server's data a device may read (the scopes themselves: server/changes/scopes.py).

| role       | scopes                                        | entities                                  |
|------------|-----------------------------------------------|-------------------------------------------|
| rider      | runs:<username>, cash:<username>              | stop (its run's orders), cash (in hand)   |
| warehouse  | wh:<warehouse code>, catalog                  | bin, task, count_task, wave, location, sku |
| supervisor | exceptions, cash:<username>                   | exception (open ones), cash               |
| admin      | catalog, exceptions, cash:<username>          |                                           |
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.auth.principal import Principal
from server.changes.scopes import CATALOG, EXCEPTIONS, cash_scope, runs_scope, wh_scope
from server.inventory.models import Warehouse


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

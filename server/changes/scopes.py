"""The scopes of the change log (which slice of the data a device reads) and the keys entities
take inside them. Who may read which scope is the sync adapter's business (server/sync_api/scopes.py);
what goes into an entity is each domain's (its entities.py).

| scope            | entities                                                     |
|------------------|--------------------------------------------------------------|
| wh:<warehouse>   | bin (units per bin/SKU), location, task (pick), count_task,   |
|                  | parcel, batch (dispatch), put_back (cancelled in flight)     |
| catalog          | sku                                                          |
| runs:<username>  | stop (its run's orders)                                      |
| cash:<username>  | cash (in hand)                                               |
| exceptions       | exception (open ones)                                        |

Entity values are small JSON objects (integers and strings only: they are checksummed as
canonical JSON). Cash is held by people, so its scope is the username, not the device.
"""

from __future__ import annotations

import uuid

CATALOG = "catalog"
EXCEPTIONS = "exceptions"


def wh_scope(code: str) -> str:
    return f"wh:{code}"


def cash_scope(holder: str) -> str:
    return f"cash:{holder}"


def runs_scope(username: str) -> str:
    return f"runs:{username}"


def bin_key(bin_code: str, sku_code: str) -> str:
    return f"{bin_code}/{sku_code}"


def order_ref(order_id: uuid.UUID) -> str:
    """How an order is named to devices and in op payloads: its id."""
    return str(order_id)

"""What each courier owes us, for COD's receivables KPI (server/cod/kpis.py): its parcels delivered
(its own status report) with COD due and in none of its remittance reports yet. The couriers'
package stands above COD, so this reading is handed to COD when this module is imported (the
couriers' routes import it)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Connection

from server.cod.kpis import reads_courier_owed
from server.couriers.models import Courier, CourierParcel, RemittanceRow
from server.orders.models import Order


@reads_courier_owed
def courier_owed(conn: Connection) -> dict[str, list[tuple[int, datetime]]]:
    """Courier code -> (COD centavos, when delivered) per parcel not remitted, oldest first."""
    remitted = (
        select(RemittanceRow.id)
        .where(
            RemittanceRow.courier_id == CourierParcel.courier_id,
            RemittanceRow.waybill == CourierParcel.waybill,
        )
        .exists()
    )
    by_courier: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
    for code, cod, delivered_at in conn.execute(
        select(Courier.code, Order.cod_amount, CourierParcel.delivered_at)
        .join(CourierParcel, CourierParcel.courier_id == Courier.id)
        .join(Order, Order.id == CourierParcel.order_id)
        .where(
            CourierParcel.status == "delivered",
            CourierParcel.delivered_at.is_not(None),
            Order.cod_amount > 0,
            ~remitted,
        )
        .order_by(Courier.code, CourierParcel.delivered_at)
    ).all():
        if delivered_at is not None:
            by_courier[code].append((int(cod), delivered_at))
    return by_courier

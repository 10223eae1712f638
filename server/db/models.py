"""Imports every model so the metadata is complete (Alembic and the schema test use this)."""

from server.audit.models import AuditEntry
from server.auth.models import Device, LoginAttempt, User
from server.catalog.models import Barcode, BundleComponent, Sku
from server.channels.models import Listing, Shop
from server.db.base import Base
from server.exceptions.models import ExceptionRecord
from server.inventory.models import Bin, Reservation, StockBalance, StockMovement, Warehouse
from server.orders.models import Order, OrderLine, OrderStatusChange, RejectedPayload

metadata = Base.metadata

__all__ = [
    "AuditEntry",
    "Barcode",
    "Bin",
    "BundleComponent",
    "Device",
    "ExceptionRecord",
    "Listing",
    "LoginAttempt",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "RejectedPayload",
    "Reservation",
    "Shop",
    "Sku",
    "StockBalance",
    "StockMovement",
    "User",
    "Warehouse",
    "metadata",
]

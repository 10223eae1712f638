"""Imports every model so the metadata is complete (Alembic and the schema test use this)."""

from server.audit.models import AuditEntry
from server.auth.models import Device, LoginAttempt, User
from server.catalog.models import Barcode, BundleComponent, Sku
from server.changes.models import SyncChange, SyncLogHead, SyncScopeSum
from server.channels.models import Listing, Shop
from server.cod.models import CashBalance, CashLedgerEntry, DeliveryAttempt, DeliveryRun, ProofLink, RunStop
from server.db.base import Base
from server.exceptions.models import ExceptionRecord
from server.inventory.models import (
    Bin,
    BinBalance,
    BinCount,
    Reservation,
    StockBalance,
    StockMovement,
    Warehouse,
)
from server.orders.models import Order, OrderLine, OrderStatusChange, RejectedPayload
from server.sync_api.models import SyncBlob, SyncDevice, SyncOp, SyncRefused

metadata = Base.metadata

__all__ = [
    "AuditEntry",
    "Barcode",
    "Bin",
    "BinBalance",
    "BinCount",
    "BundleComponent",
    "CashBalance",
    "CashLedgerEntry",
    "DeliveryAttempt",
    "DeliveryRun",
    "Device",
    "ExceptionRecord",
    "Listing",
    "LoginAttempt",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "ProofLink",
    "RejectedPayload",
    "Reservation",
    "RunStop",
    "Shop",
    "Sku",
    "StockBalance",
    "StockMovement",
    "SyncBlob",
    "SyncChange",
    "SyncDevice",
    "SyncLogHead",
    "SyncOp",
    "SyncRefused",
    "SyncScopeSum",
    "User",
    "Warehouse",
    "metadata",
]

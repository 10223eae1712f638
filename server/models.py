"""Imports every model so the metadata is complete (Alembic and the schema test use this)."""

from server.alerts.models import AlertSettingsRow
from server.audit.models import AuditEntry
from server.auth.models import Device, LoginAttempt, User
from server.catalog.models import Barcode, BundleComponent, Sku
from server.changes.models import SyncChange, SyncLogHead, SyncScopeSum
from server.channels.models import (
    ChannelOrderState,
    ChannelWebhook,
    Listing,
    ListingStock,
    Shop,
    ShopConnection,
    SignatureFailure,
    StatusMapping,
    StockRule,
)
from server.cod.models import CashBalance, CashLedgerEntry, DeliveryAttempt, DeliveryRun, ProofLink, RunStop
from server.couriers.models import (
    Courier,
    CourierParcel,
    CourierReject,
    CourierStatusEvent,
    RemittanceBatch,
    RemittanceFinding,
    RemittanceRow,
)
from server.db.base import Base
from server.erp.models import ErpDelivery, ErpEndpoint, ErpEvent, ErpHead
from server.exceptions.models import ExceptionRecord
from server.inbound.models import (
    InboundReceipt,
    InboundShipment,
    InboundVariance,
    PurchaseOrder,
    PurchaseOrderLine,
    ShipmentCost,
    ShipmentLine,
    ShipmentMilestone,
    Supplier,
)
from server.inventory.models import (
    Bin,
    BinBalance,
    BinCount,
    CountReview,
    Reservation,
    StockBalance,
    StockMovement,
    Warehouse,
)
from server.jobs.models import Job
from server.kpis.models import KpiDay
from server.orders.models import Order, OrderLine, OrderStatusChange, RejectedPayload
from server.orders.ship_by_models import Closure, FulfilmentSetting
from server.picking.models import PickLine, PickRecord, Wave, WaveOrder
from server.push.models import PushSubscription, VapidKey
from server.reports.models import ReportFile
from server.shipping.models import DispatchBatch, Parcel, PutBack, WaybillSequence
from server.sync_api.models import SyncBlob, SyncDevice, SyncOp, SyncRefused

metadata = Base.metadata

__all__ = [
    "AlertSettingsRow",
    "AuditEntry",
    "Barcode",
    "Bin",
    "BinBalance",
    "BinCount",
    "BundleComponent",
    "CashBalance",
    "CashLedgerEntry",
    "ChannelOrderState",
    "ChannelWebhook",
    "Closure",
    "CountReview",
    "Courier",
    "CourierParcel",
    "CourierReject",
    "CourierStatusEvent",
    "DeliveryAttempt",
    "DeliveryRun",
    "Device",
    "DispatchBatch",
    "ErpDelivery",
    "ErpEndpoint",
    "ErpEvent",
    "ErpHead",
    "ExceptionRecord",
    "FulfilmentSetting",
    "InboundReceipt",
    "InboundShipment",
    "InboundVariance",
    "Job",
    "KpiDay",
    "Listing",
    "ListingStock",
    "LoginAttempt",
    "Order",
    "OrderLine",
    "OrderStatusChange",
    "Parcel",
    "PickLine",
    "PickRecord",
    "ProofLink",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PushSubscription",
    "PutBack",
    "RejectedPayload",
    "RemittanceBatch",
    "RemittanceFinding",
    "RemittanceRow",
    "ReportFile",
    "Reservation",
    "RunStop",
    "ShipmentCost",
    "ShipmentLine",
    "ShipmentMilestone",
    "Shop",
    "ShopConnection",
    "SignatureFailure",
    "Sku",
    "StatusMapping",
    "StockBalance",
    "StockMovement",
    "StockRule",
    "Supplier",
    "SyncBlob",
    "SyncChange",
    "SyncDevice",
    "SyncLogHead",
    "SyncOp",
    "SyncRefused",
    "SyncScopeSum",
    "User",
    "VapidKey",
    "Warehouse",
    "Wave",
    "WaveOrder",
    "WaybillSequence",
    "metadata",
]

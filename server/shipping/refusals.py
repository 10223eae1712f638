"""Why a packing or a handover is refused: Problem Details at the console and on REST, an exception
with the same sentence when the fact came from a phone (facts are recorded, never dropped)."""

from __future__ import annotations

from server.errors import Conflict


class ShippingRefused(Conflict):
    """Base: `kind` is the exception kind raised when the same refusal meets a phone's fact."""

    kind = "shipping_refused"


class PackMismatch(ShippingRefused):
    slug = "pack-mismatch"
    title = "The scanned items do not match the order"
    kind = "pack_mismatch"


class OrderCancelled(ShippingRefused):
    slug = "order-cancelled"
    title = "The order was cancelled: it must not ship"
    kind = "packed_cancelled_order"


class AlreadyPacked(ShippingRefused):
    slug = "already-packed"
    title = "The order is already packed"
    kind = "already_packed"


class NotReadyToPack(ShippingRefused):
    slug = "not-ready-to-pack"
    title = "The order is not being picked or packed"
    kind = "not_ready_to_pack"


class ParcelInAnotherBatch(ShippingRefused):
    slug = "parcel-in-another-batch"
    title = "The parcel was already scanned into another dispatch batch"
    kind = "parcel_in_two_batches"


class ParcelNotPacked(ShippingRefused):
    slug = "parcel-not-packed"
    title = "No packed parcel has this waybill"
    kind = "unknown_parcel"


class ParcelsMissing(ShippingRefused):
    slug = "parcels-missing"
    title = "Parcels expected on this pickup were not scanned"
    kind = "parcel_missing_at_handover"


class BatchClosed(ShippingRefused):
    slug = "batch-closed"
    title = "This dispatch batch is already closed"
    kind = "batch_closed"

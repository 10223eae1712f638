"""What every platform adapter produces: the platform's order read into plain, exact values.

An adapter only READS the platform's shape (ids as strings, money in centavos, times in UTC, the
address fields where the platform keeps them). Turning that into the canonical OrderIn (listing
map, status mapping, PSGC address) is shared: server/channels/mapping.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass
class RawAddress:
    name: str = ""
    phone: str = ""
    street: str = ""
    barangay: str = ""
    city: str = ""
    province: str = ""
    region: str = ""
    zip_code: str = ""


@dataclass
class ChannelLine:
    item_id: str
    model_id: str
    channel_sku: str
    qty: int
    unit_price: int  # centavos
    external_line_id: str = ""


@dataclass
class ChannelOrder:
    external_id: str
    raw_status: str
    cod: bool
    placed_at: datetime
    updated_at: datetime
    lines: list[ChannelLine]
    address: RawAddress
    shipping_fee: int = 0  # centavos
    cod_amount: int | None = None  # centavos; None: the order total
    ship_by: datetime | None = None
    logistics_status: str = ""
    flags: list[str] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass
class ShopSettings:
    """What an adapter may need to know about the shop (Shopify's COD gateway names)."""

    cod_gateways: tuple[str, ...] = ("cash on delivery (cod)", "cash on delivery", "cod", "cash_on_delivery")


class Adapter(Protocol):
    def __call__(self, payload: dict[str, Any], settings: ShopSettings) -> ChannelOrder: ...


def text(value: object) -> str:
    """A platform string field, "" for null; numbers kept exactly (ints) as their digits."""
    if value is None:
        return ""
    return str(value).strip()


def join(*parts: object) -> str:
    return ", ".join(t for t in (text(p) for p in parts) if t and t != '""')

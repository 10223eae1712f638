"""The KPIs the console shows: one list, their labels, units and definitions (README publishes this
text). Every figure is numerator / denominator summed over the period's business days (Asia/Manila),
so a month's figure is the same whether read by day, by channel or by warehouse."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["percent", "hours", "days"]


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str
    unit: Unit
    definition: str


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "sla",
        "Fulfillment SLA",
        "percent",
        "Of the orders whose ship-by deadline falls on the day (and has passed, or that already "
        "shipped), the share that first reached 'shipped' at or before their ship-by. Orders "
        "cancelled without shipping are left out.",
    ),
    Kpi(
        "cod_collection",
        "COD collection rate",
        "percent",
        "Of the cash-on-delivery orders first delivered on the day, the centavos collected for them "
        "(cash ledger 'collected' entries, any rider, capped at each order's COD amount) over the "
        "centavos due.",
    ),
    Kpi(
        "inventory_accuracy",
        "Inventory accuracy",
        "percent",
        "Of the bin counts recorded on the day (the latest count of each bin and SKU), the share "
        "that matched the stock ledger: the count produced no 'count' adjustment.",
    ),
    Kpi(
        "exception_rate",
        "Exception rate",
        "percent",
        "Of the orders placed on the day, the share that has had at least one exception raised "
        "about it (so far).",
    ),
    Kpi(
        "exception_resolve_hours",
        "Time to resolve an exception",
        "hours",
        "Mean hours from an exception being raised to being resolved, over the exceptions resolved "
        "on the day.",
    ),
    Kpi(
        "lead_time_days",
        "Order-to-delivery lead time",
        "days",
        "Mean days from an order being placed to it first reaching 'delivered', over the orders "
        "first delivered on the day.",
    ),
    Kpi(
        "rts_rate",
        "RTS rate",
        "percent",
        "Of the orders that first left the warehouse ('shipped') on the day, the share that has "
        "since reached 'return_to_sender'.",
    ),
    Kpi(
        "rider_cash_age_days",
        "Rider cash ageing",
        "days",
        "Peso-weighted mean age, in days at the time of asking, of the cash riders hold now (first "
        "in, first out: what was handed in paid off the oldest collections). By day: the day it was "
        "collected; by channel or warehouse: the order it was collected for.",
    ),
)

BY_KEY = {k.key: k for k in KPIS}
# Read live every time (a snapshot of now), never from the daily rollup.
LIVE = frozenset({"rider_cash_age_days"})


def definitions_markdown() -> str:
    """The README's KPI section."""
    return "\n".join(f"- **{k.label}** (`{k.key}`, {k.unit}): {k.definition}" for k in KPIS)

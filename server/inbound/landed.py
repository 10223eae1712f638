"""Landed cost: what one unit cost by the time it reached the warehouse, in centavos.

Allocation basis: by value. Each line's goods value (quantity x unit cost, converted to centavos at
the shipment's recorded rate) takes its share of the duties, brokerage and freight in proportion to
that value; duties in the Philippines are assessed on value, so value is the fairest basis for them
and a good enough one for freight on mixed cartons. Shares are whole centavos by the largest
remainder method, so they always add up to exactly what was paid. The unit figure is the line's
landed total divided by its quantity, rounded half up; the line totals are exact.

Pure functions: no database, so every rounding rule is tested on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

MICROS = 1_000_000
MAX_RATE_MICROS = 1_000_000 * MICROS  # a peso rate above a million per unit is a typo


def rate_micros(text: str) -> int | None:
    """ "58.123456" -> 58123456 (pesos per unit of the currency, x 1e6); None when it is not a
    positive decimal with at most six places."""
    try:
        value = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value <= 0:
        return None
    micros = value * MICROS
    if micros != micros.to_integral_value() or micros > MAX_RATE_MICROS:
        return None
    return int(micros)


def rate_text(micros: int) -> str:
    return str((Decimal(micros) / MICROS).normalize())


def to_centavos(minor: int, micros: int) -> int:
    """An amount in minor units (fen, cents) of a two-decimal currency, in centavos at the rate,
    rounded half up once."""
    return (minor * micros + MICROS // 2) // MICROS


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` centavos over `weights` in proportion, in whole centavos that add up exactly.

    Each share gets the floor of its exact part; the centavos left go one each to the shares with
    the largest remainders (ties: the earlier line). All weights zero: an even split."""
    if not weights:
        return []
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(shares)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[i] += 1
    return shares


class LineCost(NamedTuple):
    qty: int
    goods: int  # centavos
    added: int  # this line's share of duties, brokerage and freight, centavos
    landed: int  # goods + added

    @property
    def unit(self) -> int:
        """Landed cost per unit, rounded half up."""
        return (2 * self.landed + self.qty) // (2 * self.qty) if self.qty else 0


def landed_costs(lines: Sequence[tuple[int, int]], extra: int) -> list[LineCost]:
    """(qty, goods centavos) per line and the shipment's costs in centavos -> each line's landed
    cost. The added shares sum to `extra` exactly."""
    shares = largest_remainder(extra, [goods for _, goods in lines])
    return [LineCost(q, g, s, g + s) for (q, g), s in zip(lines, shares, strict=True)]

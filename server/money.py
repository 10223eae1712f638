"""Pesos in, centavos stored. The one place a peso amount string becomes an integer."""

from __future__ import annotations

import re

# ASCII digits only: Python's \d also takes full-width and other scripts' digits (U+FF13 ...).
PESOS_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
_PESOS = re.compile(r"^([0-9]{1,10})(?:\.([0-9]{1,2}))?$")


class BadMoney(ValueError):
    pass


def pesos_to_centavos(amount: str) -> int:
    """'1299.5' -> 129950. Refuses negatives, more than two decimals, floats' exponents, blanks."""
    match = _PESOS.match(amount)
    if match is None:
        raise BadMoney(f'{amount!r} is not a peso amount (use digits with up to 2 decimals, e.g. "349.00")')
    whole, frac = match.groups()
    return int(whole) * 100 + int((frac or "").ljust(2, "0"))


def format_pesos(centavos: int) -> str:
    sign = "-" if centavos < 0 else ""
    centavos = abs(centavos)
    return f"{sign}₱{centavos // 100:,}.{centavos % 100:02d}"

"""Reading the channels' values exactly: money, times, ids, JSON.

Platforms send money as JSON numbers (Shopee: 32119, 48000.5), strings ("99.00") or strings with
thousands separators ("1,152.00"); times as epoch seconds, epoch milliseconds, ISO 8601 with or
without an offset, or Lazada's "2014-10-15 18:36:05 +0800"; ids as numbers that may exceed 2^53
(TikTok). None of it ever goes through float arithmetic: JSON is decoded with numbers kept as
their text (`loads`), and money is a Decimal of that text.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

MANILA = timezone(timedelta(hours=8))
_THOUSANDS = re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$")


class BadValue(ValueError):
    pass


def loads(body: bytes | str) -> Any:
    """JSON with every number exact: integers stay Python ints (any size), decimals become Decimal
    built from the digits as written, never from a float."""
    return json.loads(body, parse_float=Decimal)


def centavos(value: object) -> int:
    """An amount in pesos (number, Decimal or string, "1,152.00" too) as integer centavos.

    A float is read through its shortest repr ("19.99", not 19.989999...), so 19.99 -> 1999.
    Refuses negatives, blanks and amounts with fractions of a centavo that are not zero.
    """
    if isinstance(value, bool) or value is None:
        raise BadValue(f"{value!r} is not an amount")
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    elif isinstance(value, Decimal):
        amount = value
    elif isinstance(value, str):
        text = value.strip().removeprefix("₱").removeprefix("PHP").strip()
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise BadValue(f"{value!r} is not an amount") from None
    else:
        raise BadValue(f"{value!r} is not an amount")
    if not amount.is_finite() or amount < 0:
        raise BadValue(f"{value!r} is not an amount")
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise BadValue(f"{value!r} has fractions of a centavo")
    return int(cents)


def pesos(cents: int) -> str:
    """Centavos as the peso string OrderIn takes ("1152.00")."""
    return f"{cents // 100}.{cents % 100:02d}"


# Epoch numbers above this are milliseconds (1e11 s is the year 5138).
_MS_THRESHOLD = 100_000_000_000
_LAZADA = re.compile(r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d+)?)\s*([+-]\d{2}):?(\d{2})$")


def utc_time(value: object, *, naive_tz: timezone = MANILA) -> datetime:
    """A platform timestamp as an aware UTC datetime.

    Epoch seconds or milliseconds (number or digit string), ISO 8601 with offset or Z, Lazada's
    "2014-10-15 18:36:05 +0800". A time without an offset is read in `naive_tz` (the platform's
    shop time; Philippine shops default to Manila), WooCommerce's *_gmt fields pass UTC.
    """
    if isinstance(value, bool) or value is None:
        raise BadValue(f"{value!r} is not a time")
    if isinstance(value, (int, Decimal)) or (isinstance(value, str) and value.strip().isdigit()):
        number = int(value)
        if number <= 0:
            raise BadValue(f"{value!r} is not a time")
        step = timedelta(milliseconds=number) if number >= _MS_THRESHOLD else timedelta(seconds=number)
        try:
            return datetime(1970, 1, 1, tzinfo=UTC) + step
        except OverflowError:
            raise BadValue(f"{value!r} is not a time") from None
    if not isinstance(value, str):
        raise BadValue(f"{value!r} is not a time")
    text = value.strip()
    m = _LAZADA.match(text)
    if m:
        text = f"{m[1]}T{m[2]}{m[3]}:{m[4]}"
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadValue(f"{value!r} is not a time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_tz)
    return parsed.astimezone(UTC)


def ident(value: object) -> str:
    """An id as a string, exactly (ints of any size; never a float)."""
    if isinstance(value, bool) or value is None:
        raise BadValue(f"{value!r} is not an id")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    raise BadValue(f"{value!r} is not an id")


def qty(value: object) -> int:
    if isinstance(value, bool):
        raise BadValue(f"{value!r} is not a quantity")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise BadValue(f"{value!r} is not a quantity")


def truthy(value: object) -> bool:
    """Lazada sends booleans as "true"/"1" strings."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)

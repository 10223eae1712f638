"""Money, times and ids read exactly from the channels' many formats (no float arithmetic)."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.channels.values import BadValue, centavos, ident, loads, pesos, utc_time

BOUNDED = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1,152.00", 115200),
        ("1152", 115200),
        ("₱1,152.50", 115250),
        (1152.5, 115250),
        (19.99, 1999),  # a float read through its repr, not 19.989999...
        (0.1, 10),
        (32119, 3211900),
        (Decimal("48000.5"), 4800050),
        ("0.00", 0),
        ("12,345,678.90", 1234567890),
    ],
)
def test_money_in_every_shape(value: object, expected: int) -> None:
    assert centavos(value) == expected


@pytest.mark.parametrize(
    "value", ["", "abc", "-1.00", "1.005", None, True, "1,15.00", float("nan"), "1e400x"]
)
def test_money_refused(value: object) -> None:
    with pytest.raises(BadValue):
        centavos(value)


@BOUNDED
@given(st.integers(min_value=0, max_value=10**12))
def test_money_round_trips_through_every_shape(cents: int) -> None:
    text = pesos(cents)
    grouped = f"{cents // 100:,}.{cents % 100:02d}"
    assert centavos(text) == cents
    assert centavos(grouped) == cents
    assert centavos(float(text)) == cents if cents < 10**15 else True
    assert centavos(loads(text)) == cents  # a JSON number, decoded exactly


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1794326712, datetime(2026, 11, 10, 16, 5, 12, tzinfo=UTC)),
        ("1794326712", datetime(2026, 11, 10, 16, 5, 12, tzinfo=UTC)),
        (1794326712123, datetime(2026, 11, 10, 16, 5, 12, 123000, tzinfo=UTC)),
        ("2014-10-15 18:36:05 +0800", datetime(2014, 10, 15, 10, 36, 5, tzinfo=UTC)),
        ("2026-11-11T00:09:30+08:00", datetime(2026, 11, 10, 16, 9, 30, tzinfo=UTC)),
        ("2026-11-10T16:09:30Z", datetime(2026, 11, 10, 16, 9, 30, tzinfo=UTC)),
        ("2026-11-11 00:09:30", datetime(2026, 11, 10, 16, 9, 30, tzinfo=UTC)),  # naive: Manila
        ("2019-06-24T23:59:59+08:00", datetime(2019, 6, 24, 15, 59, 59, tzinfo=UTC)),
    ],
)
def test_times_to_utc(value: object, expected: datetime) -> None:
    assert utc_time(value) == expected


@pytest.mark.parametrize("value", ["", "yesterday", None, 0, -5, True, "2026-13-01 00:00:00"])
def test_bad_times_refused(value: object) -> None:
    with pytest.raises(BadValue):
        utc_time(value)


@BOUNDED
@given(st.integers(min_value=100_000_000, max_value=4_000_000_000))  # 1973..2096
def test_epoch_seconds_and_milliseconds_agree(seconds: int) -> None:
    assert utc_time(seconds) == utc_time(seconds * 1000) == utc_time(str(seconds))


@BOUNDED
@given(st.integers(min_value=2**53, max_value=2**80))
def test_big_ids_stay_exact(n: int) -> None:
    doc = loads(f'{{"order_id": {n}, "price": 1.10}}')
    assert ident(doc["order_id"]) == str(n)
    assert doc["price"] == Decimal("1.10")


def test_ids_are_strings() -> None:
    assert ident("576461413038785752") == "576461413038785752"
    assert ident(23620853561) == "23620853561"
    with pytest.raises(BadValue):
        ident(None)

"""Landed cost arithmetic: shares add up to exactly what was paid, rates convert once, exactly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.inbound.landed import landed_costs, largest_remainder, rate_micros, rate_text, to_centavos


def test_largest_remainder_gives_leftover_centavos_to_the_largest_remainders() -> None:
    # 100 centavos over three equal values: 33.33 each, the first takes the odd centavo.
    assert largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    # 1000 over 1:2:3 -> 166.67, 333.33, 500: the 0.67 remainder wins the centavo.
    assert largest_remainder(1000, [1, 2, 3]) == [167, 333, 500]
    assert largest_remainder(5, [0, 0]) == [3, 2]  # no value at all: an even split
    assert largest_remainder(0, [5, 7]) == [0, 0]


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**10), min_size=1, max_size=40))
def test_shares_always_sum_exactly_and_never_stray_a_centavo(total: int, weights: list[int]) -> None:
    shares = largest_remainder(total, weights)
    assert sum(shares) == total
    whole = sum(weights) or len(weights)
    for share, w in zip(shares, weights if sum(weights) else [1] * len(weights), strict=True):
        assert abs(share * whole - total * w) < whole  # within one centavo of the exact share


def test_rates_are_exact_decimals_and_convert_half_up_once() -> None:
    assert rate_micros("8.0125") == 8_012_500 and rate_text(8_012_500) == "8.0125"
    assert rate_micros("58") == 58_000_000
    for bad in ("0", "-1", "1.1234567", "abc", "NaN", "Infinity"):
        assert rate_micros(bad) is None, bad
    # 1,000.00 CNY at 8.0125 = 8,012.50 pesos; 0.01 CNY at 8.0125 = 0.080125 -> 8 centavos.
    assert to_centavos(100_000, 8_012_500) == 801_250
    assert to_centavos(1, 8_012_500) == 8
    assert to_centavos(1, 8_500_000) == 9  # 8.5 centavos rounds half up


def test_landed_cost_per_unit_adds_the_lines_share_by_value() -> None:
    # Two lines worth 30,000 and 10,000 pesos; 4,000.01 pesos of duties and freight.
    lines = landed_costs([(100, 3_000_000), (50, 1_000_000)], 400_001)
    assert [lc.added for lc in lines] == [300_001, 100_000]
    assert sum(lc.added for lc in lines) == 400_001
    assert lines[0].landed == 3_300_001 and lines[0].unit == 33_000  # 330.00001 -> 330.00
    assert lines[1].unit == 22_000

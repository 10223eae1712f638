"""A courier's COD fee contract in integer centavos and basis points, and its remittance cycle."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from server.couriers.fees import Cycle, FeeRule, share

BOUNDED = settings(max_examples=200, deadline=None)
amounts = st.integers(min_value=0, max_value=10_000_000_00)  # up to ten million pesos
rules = st.builds(
    FeeRule,
    percent_bp=st.integers(0, 10_000),
    minimum=st.integers(0, 500_00),
    flat=st.integers(0, 500_00),
    vat_bp=st.integers(0, 10_000),
)


def half_up(value: Fraction) -> int:
    """The exact rule, spelled with fractions: the nearest centavo, halves away from zero."""
    floor = value.numerator // value.denominator
    return floor + (1 if value - floor >= Fraction(1, 2) else 0)


def test_jnt_sample_contract() -> None:
    jnt = FeeRule(percent_bp=150, minimum=15_00, vat_bp=1_200)
    assert jnt.allowed(1_299_00) == 21_83  # 1.5% = 19.485 -> 19.49; VAT 2.3388 -> 2.34
    assert jnt.allowed(349_00) == 16_80  # 1.5% = 5.235, under the minimum 15.00; VAT 1.80
    assert jnt.allowed(1_000_00) == 16_80  # exactly at the minimum (15.00)
    assert jnt.allowed(0) == 0  # nothing collected, no COD fee


def test_flat_fee_and_half_up_rounding() -> None:
    ninja = FeeRule(percent_bp=200, flat=10_00, vat_bp=1_200)
    assert ninja.allowed(1_299_00) == 40_30  # 25.98 + 10.00 = 35.98; VAT 4.3176 -> 4.32
    assert share(25, 2_000) == 5  # 25 x 20% = 5 exactly
    assert share(1, 5_000) == 1  # half a centavo rounds up
    assert share(1, 4_999) == 0


@BOUNDED
@given(rules, amounts)
def test_allowed_fee_is_the_exact_rule(rule: FeeRule, collected: int) -> None:
    if collected == 0:
        assert rule.allowed(collected) == 0
        return
    fee = max(half_up(Fraction(collected * rule.percent_bp, 10_000)), rule.minimum) + rule.flat
    assert rule.allowed(collected) == fee + half_up(Fraction(fee * rule.vat_bp, 10_000))


@BOUNDED
@given(rules, amounts, amounts)
def test_more_collected_never_lowers_the_fee(rule: FeeRule, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert rule.allowed(low) <= rule.allowed(high)
    assert isinstance(rule.allowed(high), int)


def test_weekly_cycle_is_the_next_weekday_after_delivery() -> None:
    friday = Cycle(kind="weekly", weekday=4)
    assert friday.due(date(2026, 12, 1)) == date(2026, 12, 4)  # Tuesday -> that Friday
    assert friday.due(date(2026, 12, 4)) == date(2026, 12, 11)  # a Friday -> the next one
    assert not friday.overdue(date(2026, 12, 1), date(2026, 12, 7), grace_days=3)  # the 7th is the last day
    assert friday.overdue(date(2026, 12, 1), date(2026, 12, 8), grace_days=3)


def test_every_n_days_cycle() -> None:
    week = Cycle(kind="every_n_days", days=7)
    assert week.due(date(2026, 12, 30)) == date(2027, 1, 6)
    assert not week.overdue(date(2026, 12, 1), date(2026, 12, 10), grace_days=2)
    assert week.overdue(date(2026, 12, 1), date(2026, 12, 11), grace_days=2)

"""Pesos become centavos exactly; Philippine phones, regions and ZIP codes are checked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.address import normalise_phone, region_code, valid_zip
from server.money import BadMoney, format_pesos, pesos_to_centavos


@pytest.mark.parametrize(
    ("text", "centavos"),
    [("349.00", 34900), ("349", 34900), ("349.5", 34950), ("0.01", 1), ("12.30", 1230), ("0", 0)],
)
def test_pesos_to_centavos(text: str, centavos: int) -> None:
    assert pesos_to_centavos(text) == centavos


# One strict format (documented in the OpenAPI as a pattern): ASCII digits only, no blanks around.
@pytest.mark.parametrize(
    "text",
    [
        "",
        "-5",
        "12.345",
        "1e3",
        "abc",
        "12.",
        ".5",
        "1,299.00",
        "NaN",
        " 12.30 ",
        "\uff13\uff14\uff19.\uff10\uff10",
    ],
)
def test_malformed_money_is_refused(text: str) -> None:
    with pytest.raises(BadMoney):
        pesos_to_centavos(text)


@given(st.integers(min_value=0, max_value=10**11))
def test_round_trip_through_text(centavos: int) -> None:
    text = f"{centavos // 100}.{centavos % 100:02d}"
    assert pesos_to_centavos(text) == centavos


def test_format_pesos() -> None:
    assert format_pesos(129950) == "₱1,299.50"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("0917 123 4567", "+639171234567"),
        ("+63 917-123-4567", "+639171234567"),
        ("(02) 8123 4567", "+63281234567"),
    ],
)
def test_phones(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "+1 415 555 0100", "0917", "not a phone"])
def test_bad_phones(raw: str) -> None:
    assert normalise_phone(raw) is None


def test_regions_and_zip() -> None:
    assert region_code("Central Visayas") == "VII"
    assert region_code("ncr") == "NCR"
    assert region_code("Metro  Manila") == "NCR"
    assert region_code("Atlantis") is None
    assert valid_zip("1440") and not valid_zip("14400") and not valid_zip("14a0")

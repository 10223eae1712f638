"""The hand-written seed vocabulary in fixtures/demo/*.json, decoded into typed structs.

Decoding is strict (unknown keys are errors) so a typo in a fixture fails loudly instead of
quietly producing a thinner demo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, TypeVar

import msgspec

# fixtures/ sits at the repository root, next to server/.
FIXTURES_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "demo"

T = TypeVar("T")


class Axis(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: str
    options: tuple[tuple[str, str], ...]  # (code, label)
    # Options are listed smallest first; the product's price/weight range is spread across them.
    scales_price: bool = False
    scales_weight: bool = False


class Product(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    code: str
    name: str  # may name axes as {axis}; the other axes' labels are appended
    price: tuple[int, int]  # pesos
    grams: tuple[int, int]
    axes: tuple[Axis, ...]


class Family(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    code: str
    name: str
    weight: int  # share of order lines
    products: tuple[Product, ...]


class BundleSpec(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    code: str
    name: str
    discount: float
    components: tuple[tuple[str, int], ...]  # (SKU code, qty)


class Catalogue(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    about: str
    families: tuple[Family, ...]
    bundles: tuple[BundleSpec, ...]


class City(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    city: str
    province: str
    region: str  # PSGC region code
    weight: int  # rough share of orders
    barangays: dict[str, tuple[str, ...]]  # ZIP code -> barangays it covers


class Places(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    about: str
    regions: dict[str, str]  # code -> name
    cities: tuple[City, ...]


class People(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    about: str
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    mobile_prefixes: tuple[str, ...]  # the three digits after +63


class StreetPattern(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    text: str
    weight: int
    where: Literal["any", "urban", "provincial"]


class Streets(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    about: str
    patterns: tuple[StreetPattern, ...]
    streets: tuple[str, ...]
    subdivisions: tuple[str, ...]
    buildings: tuple[str, ...]
    sitios: tuple[str, ...]


class Vocab(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    catalogue: Catalogue
    places: Places
    people: People
    streets: Streets


def load_vocab(directory: Path | None = None) -> Vocab:
    folder = directory or FIXTURES_DIR
    return Vocab(
        catalogue=_read(folder / "products.json", Catalogue),
        places=_read(folder / "places.json", Places),
        people=_read(folder / "people.json", People),
        streets=_read(folder / "streets.json", Streets),
    )


def _read(path: Path, kind: type[T]) -> T:
    return msgspec.json.decode(path.read_bytes(), type=kind)

"""Matching a buyer's address against the PSGC: region, province, city/municipality, barangay.

The data is the `barangay` package's flat PSGC list (42,011 barangays), read straight from its
JSON file: importing the package itself pulls in pandas (seconds), which the order path must never
pay. The file is read once, on first use, and indexed in memory (~0.5 s); `warm()` lets a server
or a bench pay that before the first order arrives.

A misspelt city or barangay is matched fuzzily (rapidfuzz). What cannot be matched is NOT refused:
the caller keeps the address as written and flags it for the courier (see `problems`).

ZIP codes: the package has none. We check the 4-digit form everywhere and, for Metro Manila
cities, the ZIP against the city's published range (ZIPS below); elsewhere the ZIP is unchecked.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from server.address import region_code

CITY_SCORE = 85.0
BARANGAY_SCORE = 80.0

# PSGC region code prefix -> the region code Bodega stores. The Negros Island Region (18) is
# split back into its old regions by province (couriers and our warehouse rules still use them).
_REGION_BY_PREFIX = {
    "01": "I", "02": "II", "03": "III", "04": "IV-A", "17": "IV-B", "05": "V", "06": "VI",
    "07": "VII", "08": "VIII", "09": "IX", "10": "X", "11": "XI", "12": "XII", "16": "XIII",
    "13": "NCR", "14": "CAR", "19": "BARMM",
}  # fmt: skip
_NIR_PROVINCES = {"negros occidental": "VI", "negros oriental": "VII", "siquijor": "VII"}

# Metro Manila ZIP ranges by city (PHLPost). Inclusive.
ZIPS: dict[str, tuple[tuple[int, int], ...]] = {
    "manila": ((1000, 1099), (2803, 2803)),
    "quezon": ((1100, 1199),),
    "makati": ((1200, 1299),),
    "pasay": ((1300, 1309),),
    "caloocan": ((1400, 1428),),
    "valenzuela": ((1440, 1479),),
    "malabon": ((1470, 1480),),
    "navotas": ((1485, 1499),),
    "san juan": ((1500, 1504),),
    "mandaluyong": ((1550, 1556),),
    "pasig": ((1600, 1612),),
    "pateros": ((1620, 1620),),
    "taguig": ((1630, 1650),),
    "paranaque": ((1700, 1720),),
    "las pinas": ((1740, 1752),),
    "muntinlupa": ((1770, 1799),),
    "marikina": ((1800, 1820),),
}

_DROP = re.compile(r"\b(city of|city|cty|municipality of|brgy|bgy|barangay|pob|poblacion\s*\(pob\))\b\.?")
_NON_WORD = re.compile(r"[^a-z0-9]+")


_NUMERALS = ("i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x")
_ROMAN = {numeral: str(n) for n, numeral in enumerate(_NUMERALS, start=1)}


def norm(value: str) -> str:
    """Lower case, accents off (Parañaque -> paranaque), 'City of'/'Brgy.' and punctuation dropped,
    Roman numerals after a name as digits (Salitran II = Salitran 2)."""
    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    text = _DROP.sub(" ", text)
    words = _NON_WORD.sub(" ", text).split()
    return " ".join(_ROMAN.get(w, w) if i else w for i, w in enumerate(words))


@dataclass
class Place:
    psgc_id: str
    name: str
    kind: str
    parent: str


@dataclass
class City:
    place: Place
    province: str  # official province name, "" for cities outside a province (NCR, some HUCs)
    region: str  # Bodega's region code
    barangays: dict[str, Place] = field(default_factory=dict)


@dataclass
class Index:
    cities: dict[str, list[City]]  # normalised name -> every city/municipality of that name
    city_names: list[str]


@dataclass
class PsgcMatch:
    region: str | None
    province: str
    city: str
    barangay: str
    psgc_id: str  # the barangay's, or the city's when only the city matched; "" when none
    problems: list[str]

    @property
    def matched(self) -> bool:
        return not self.problems


def _data_file() -> Path:
    spec = importlib.util.find_spec("barangay")
    assert spec is not None and spec.submodule_search_locations, "the barangay package is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "barangay_flat.json"


_lock = threading.Lock()


@functools.cache
def index() -> Index:
    with _lock:
        rows = json.loads(_data_file().read_bytes())
        places = {r["psgc_id"]: Place(r["psgc_id"], r["name"], r["type"], r["parent_psgc_id"]) for r in rows}

        def ancestor(place: Place, kind: str) -> Place | None:
            seen = place
            while seen.parent in places:
                seen = places[seen.parent]
                if seen.kind == kind:
                    return seen
            return None

        cities: dict[str, City] = {}
        for place in places.values():
            if place.kind in ("city", "municipality"):
                province = ancestor(place, "province")
                region = _REGION_BY_PREFIX.get(place.psgc_id[:2], "")
                if not region and province is not None:
                    region = _NIR_PROVINCES.get(province.name.lower(), "")
                cities[place.psgc_id] = City(place, province.name if province else "", region)
        for place in places.values():
            if place.kind != "barangay":
                continue
            owner = places.get(place.parent)
            while owner is not None and owner.psgc_id not in cities:  # Manila's districts
                owner = places.get(owner.parent)
            if owner is not None:
                cities[owner.psgc_id].barangays[norm(place.name)] = place
        by_name: dict[str, list[City]] = {}
        for city in cities.values():
            by_name.setdefault(norm(city.place.name), []).append(city)
        return Index(by_name, sorted(by_name))


def warm() -> None:
    index()


def _pick_city(idx: Index, city: str, province: str, region: str, barangay: str) -> tuple[list[City], bool]:
    key = norm(city)
    fuzzy = False
    found = idx.cities.get(key, [])
    if not found and key:
        best = process.extractOne(key, idx.city_names, scorer=fuzz.ratio, score_cutoff=CITY_SCORE)
        if best is not None:
            found, fuzzy = idx.cities[best[0]], True
    if len(found) > 1:
        wanted_province, wanted_region = norm(province), region_code(region) or region_code(province)
        narrowed = [
            c
            for c in found
            if (wanted_province and fuzz.ratio(norm(c.province), wanted_province) >= CITY_SCORE)
            or (wanted_region and c.region == wanted_region)
        ]
        found = narrowed or found
    if len(found) > 1 and re.search(r"\bc(i)?ty\b", city.lower()):
        # "Quezon City" is the city, not the municipalities named Quezon.
        found = [c for c in found if c.place.kind == "city"] or found
    if len(found) > 1 and barangay:
        with_barangay = [c for c in found if norm(barangay) in c.barangays]
        found = with_barangay or found
    return found, fuzzy


@functools.lru_cache(maxsize=16384)
def match(region: str, province: str, city: str, barangay: str, zip_code: str = "") -> PsgcMatch:
    """The official names for what the buyer wrote, or what could not be matched and why."""
    idx = index()
    problems: list[str] = []
    found, _ = _pick_city(idx, city, province, region, barangay)
    if not found:
        return PsgcMatch(
            region_code(region) or region_code(province),
            province,
            city,
            barangay,
            "",
            [f"city/municipality {city!r} not found in the PSGC"],
        )
    if len(found) > 1:
        where = ", ".join(sorted(c.province or c.region for c in found)[:5])
        return PsgcMatch(
            region_code(region),
            province,
            city,
            barangay,
            "",
            [f"city/municipality {city!r} is ambiguous ({where}); give the province"],
        )
    town = found[0]
    province_name = town.province or ("Metro Manila" if town.region == "NCR" else province or town.place.name)
    key = norm(barangay)
    place = town.barangays.get(key)
    if place is None and key:
        best = process.extractOne(key, list(town.barangays), scorer=fuzz.ratio, score_cutoff=BARANGAY_SCORE)
        if best is not None:
            place = town.barangays[best[0]]
    if place is None:
        problems.append(f"barangay {barangay!r} not found in {town.place.name}")
    zip_clean = zip_code.strip()
    if zip_clean:
        if not re.fullmatch(r"[0-9]{4}", zip_clean):
            problems.append(f"ZIP {zip_code!r} is not a 4-digit Philippine ZIP code")
        else:
            ranges = ZIPS.get(norm(town.place.name)) if town.region == "NCR" else None
            if ranges and not any(lo <= int(zip_clean) <= hi for lo, hi in ranges):
                problems.append(f"ZIP {zip_clean} does not belong to {town.place.name}")
    return PsgcMatch(
        town.region,
        province_name,
        town.place.name,
        place.name if place else barangay,
        place.psgc_id if place else town.place.psgc_id,
        problems,
    )

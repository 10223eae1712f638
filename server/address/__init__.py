"""Philippine address checks: region codes, ZIP codes and phone numbers.

Matching a whole address against the PSGC (region, province, city, barangay) is in
server/address/psgc.py; it loads its data lazily, once, so importing this module stays cheap.
"""

from __future__ import annotations

import functools
import re

import phonenumbers

# PSGC regions: the code Bodega stores, and the names people and channels write.
REGIONS: dict[str, tuple[str, ...]] = {
    "NCR": ("ncr", "national capital region", "metro manila"),
    "CAR": ("car", "cordillera administrative region", "cordillera"),
    "I": ("i", "region i", "ilocos region", "ilocos", "region 1"),
    "II": ("ii", "region ii", "cagayan valley", "region 2"),
    "III": ("iii", "region iii", "central luzon", "region 3"),
    "IV-A": ("iv-a", "region iv-a", "calabarzon", "region 4a", "region 4-a"),
    "IV-B": ("iv-b", "region iv-b", "mimaropa", "region 4b", "region 4-b", "southwestern tagalog region"),
    "V": ("v", "region v", "bicol region", "bicol", "region 5"),
    "VI": ("vi", "region vi", "western visayas", "region 6"),
    "VII": ("vii", "region vii", "central visayas", "region 7"),
    "VIII": ("viii", "region viii", "eastern visayas", "region 8"),
    "IX": ("ix", "region ix", "zamboanga peninsula", "region 9"),
    "X": ("x", "region x", "northern mindanao", "region 10"),
    "XI": ("xi", "region xi", "davao region", "region 11"),
    "XII": ("xii", "region xii", "soccsksargen", "region 12"),
    "XIII": ("xiii", "region xiii", "caraga", "region 13"),
    "BARMM": ("barmm", "bangsamoro", "armm", "bangsamoro autonomous region in muslim mindanao"),
}
_REGION_BY_NAME = {name: code for code, names in REGIONS.items() for name in names}
# ASCII digits: \d also takes full-width and other scripts' digits (full-width "1440" was stored).
_ZIP = re.compile(r"^[0-9]{4}$")


def region_code(value: str) -> str | None:
    return _REGION_BY_NAME.get(" ".join(value.lower().split()))


def valid_zip(value: str) -> bool:
    return bool(_ZIP.match(value.strip()))


@functools.lru_cache(maxsize=65536)
def normalise_phone(value: str) -> str | None:
    """A Philippine number in E.164 (+639171234567), or None if it is not a valid PH number."""
    try:
        parsed = phonenumbers.parse(value, "PH")
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != 63 or not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

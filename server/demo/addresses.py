"""Customers: a Filipino name, a PH mobile number and a real city, barangay and ZIP code."""

from __future__ import annotations

import random
import string

from server.demo.vocab import City, People, Places, Streets
from server.orders.schemas import AddressIn

# Cities at least this heavy in places.json have condo towers worth writing a unit number for.
URBAN_WEIGHT = 4


class AddressBook:
    def __init__(self, places: Places, people: People, streets: Streets, rng: random.Random) -> None:
        self._people = people
        self._streets = streets
        self._rng = rng
        self._cities = places.cities
        self._city_weights = [c.weight for c in places.cities]
        # Every barangay is as likely as any other within its city, whatever ZIP it shares.
        self._barangays = {
            c.city: [(zip_code, name) for zip_code, names in sorted(c.barangays.items()) for name in names]
            for c in places.cities
        }

    def draw(self) -> AddressIn:
        rng = self._rng
        city = rng.choices(self._cities, weights=self._city_weights)[0]
        zip_code, barangay = rng.choice(self._barangays[city.city])
        return AddressIn(
            name=self._name(),
            phone=self._phone(),
            street=self._street(city),
            barangay=barangay,
            city=city.city,
            province=city.province,
            region=city.region,
            zip_code=zip_code,
        )

    def _name(self) -> str:
        rng = self._rng
        first = rng.choice(self._people.first_names)
        last = rng.choice(self._people.last_names)
        if rng.random() < 0.15:  # some buyers type their middle initial, as on a government ID
            return f"{first} {rng.choice(string.ascii_uppercase)}. {last}"
        return f"{first} {last}"

    def _phone(self) -> str:
        return f"+63{self._rng.choice(self._people.mobile_prefixes)}{self._rng.randint(0, 9_999_999):07d}"

    def _street(self, city: City) -> str:
        rng = self._rng
        patterns = [
            p
            for p in self._streets.patterns
            if p.where == "any"
            or (p.where == "urban" and city.weight >= URBAN_WEIGHT)
            or (p.where == "provincial" and city.region != "NCR")
        ]
        pattern = rng.choices(patterns, weights=[p.weight for p in patterns])[0]
        house = str(rng.randint(1, 2999))
        if rng.random() < 0.1:
            house += f"-{rng.choice('ABCD')}"
        return pattern.text.format(
            house=house,
            block=rng.randint(1, 45),
            lot=rng.randint(1, 40),
            floor=rng.randint(2, 38),
            unit=rng.choice("ABCDEFGHJKL"),
            tower=rng.choice(("Tower 1", "Tower 2", "Tower 3", "Bldg. A", "Bldg. B")),
            purok=rng.randint(1, 12),
            sitio=rng.choice(self._streets.sitios),
            street=rng.choice(self._streets.streets),
            subdivision=rng.choice(self._streets.subdivisions),
            building=rng.choice(self._streets.buildings),
        )

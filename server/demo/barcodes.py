"""Barcodes that scanners accept: GS1 check digits for EAN-13 and UPC-A, plus Bodega's own labels."""

from __future__ import annotations

import random

from stdnum import ean

from server.demo.records import BarcodeKind, DemoBarcode

# GS1 Philippines hands out company prefixes starting 480.
GS1_PH_PREFIX = "480"


class BarcodeMaker:
    """Hands out unique codes. Each supplier (here: a product family) gets its own company prefix
    and numbers its items upward with small gaps, the way a real catalogue's barcodes cluster."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._company: dict[str, str] = {}
        self._next_item: dict[str, int] = {}
        self._internal = 0
        self._issued: set[str] = set()

    def ean13(self, supplier: str) -> DemoBarcode:
        # 480 + 4-digit company number + 5-digit item reference + check digit.
        body = self._next_body(GS1_PH_PREFIX, supplier, company_digits=4)
        return self._issue(body + ean.calc_check_digit(body), "ean13")

    def upc(self, supplier: str) -> DemoBarcode:
        # Number system 0 + 5-digit manufacturer + 5-digit item + check digit: imported US-coded stock.
        body = self._next_body("0", supplier, company_digits=5)
        return self._issue(body + ean.calc_check_digit(body), "upc")

    def internal(self) -> DemoBarcode:
        # The label Bodega prints for goods that came without a usable barcode.
        self._internal += 1
        return self._issue(f"BDG-{self._internal:06d}", "internal")

    def _next_body(self, lead: str, supplier: str, company_digits: int) -> str:
        key = f"{lead}:{supplier}"
        if key not in self._company:
            low, high = 10 ** (company_digits - 1), 10**company_digits - 1
            company = lead + str(self._rng.randint(low, high))
            while company in self._company.values():
                company = lead + str(self._rng.randint(low, high))
            self._company[key] = company
            self._next_item[key] = self._rng.randint(100, 5000)
        item = self._next_item[key]
        self._next_item[key] = item + self._rng.randint(1, 7)  # gaps: discontinued items
        return f"{self._company[key]}{item:05d}"

    def _issue(self, code: str, kind: BarcodeKind) -> DemoBarcode:
        if code in self._issued:  # distinct prefixes make this impossible; guard the invariant anyway
            raise ValueError(f"barcode {code} issued twice")
        self._issued.add(code)
        return DemoBarcode(code=code, kind=kind)

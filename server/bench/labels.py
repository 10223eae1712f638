"""`bodega bench labels`: render 1,000 parcel labels (4x6 inch, Code128 waybill, QR code, COD
amount, PH address) into one PDF, as a warehouse prints a wave's labels. Target: >= 200 labels/s.

Pure rendering (server/shipping/paper.py), no database: the figure is what one worker thread
gives the label route. `render_rate` is the function the fulfillment bench reuses.
"""

from __future__ import annotations

import json
import time
from typing import Any

from server.bench.harness import table
from server.shipping.paper import Address, LabelData, render_labels

LABELS = 1_000
TARGET_PER_S = 200

_CITIES = [
    ("Malinta", "Valenzuela", "Metro Manila", "1440"),
    ("Lahug", "Cebu City", "Cebu", "6000"),
    ("Poblacion", "Davao City", "Davao del Sur", "8000"),
    ("San Antonio", "Makati", "Metro Manila", "1203"),
]
_COURIERS = ["J&T Express", "Flash Express", "Ninja Van", "Bodega rider"]


def sample_labels(n: int = LABELS) -> list[LabelData]:
    """n different labels (every waybill, name and amount differs: no caching helps)."""
    labels: list[LabelData] = []
    for i in range(n):
        barangay, city, province, zip_code = _CITIES[i % len(_CITIES)]
        labels.append(
            LabelData(
                waybill=f"JT{1_000_000_000 + i:010d}",
                order=f"SHP-{2_400_000 + i}",
                order_id=f"order-{i}",
                carrier=_COURIERS[i % len(_COURIERS)],
                to=Address(
                    name=f"Maria Santos {i}",
                    phone=f"+63917{1_000_000 + i:07d}",
                    street=f"Blk {i % 40 + 1} Lot {i % 25 + 1} Sampaguita St.",
                    barangay=barangay,
                    city=city,
                    province=province,
                    zip_code=zip_code,
                ),
                sender="Valenzuela warehouse, Valenzuela",
                cod=(i % 3) * 49_950,  # a third prepaid, the rest COD
                weight_grams=200 + i % 900,
            )
        )
    return labels


def render_rate(n: int = LABELS) -> dict[str, Any]:
    """Render n labels into one PDF; the figures for the fulfillment bench's JSON line."""
    labels = sample_labels(n)
    start = time.perf_counter()
    pdf = render_labels(labels)
    seconds = time.perf_counter() - start
    return {
        "labels": n,
        "labels_s": round(seconds, 3),
        "labels_per_s": round(n / seconds, 1),
        "labels_pdf_bytes": len(pdf),
        "labels_target_per_s": TARGET_PER_S,
    }


def main() -> dict[str, Any]:
    figures = render_rate()
    print(
        table(
            [
                ("measure", "value", "target"),
                ("labels rendered", f"{figures['labels']:,}", ""),
                ("seconds", f"{figures['labels_s']:.2f}", ""),
                ("labels/s", f"{figures['labels_per_s']:,.1f}", f">= {TARGET_PER_S}"),
                ("PDF size (bytes)", f"{figures['labels_pdf_bytes']:,}", ""),
            ]
        )
    )
    print(json.dumps(figures))
    return figures

"""SKUs and bundles from the product families in products.json."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

from server.demo.barcodes import BarcodeMaker
from server.demo.records import DemoBarcode, DemoComponent, DemoSku
from server.demo.vocab import Axis, BundleSpec, Catalogue, Family, Product

BUNDLE_FAMILY = "BDL"


def build_catalogue(catalogue: Catalogue, rng: random.Random) -> tuple[DemoSku, ...]:
    barcodes = BarcodeMaker(rng)
    skus = [
        sku
        for family in catalogue.families
        for product in family.products
        for sku in _variants(family, product, rng, barcodes)
    ]
    by_code = {sku.code: sku for sku in skus}
    if len(by_code) != len(skus):
        raise ValueError("products.json yields the same SKU code twice")
    bundles = [_bundle(spec, by_code, barcodes) for spec in catalogue.bundles]
    return (*skus, *bundles)


def peso_string(pesos: int) -> str:
    return f"{pesos}.00"


def charm_price(pesos: float) -> int:
    """Online sellers price at ...9: 149, 199, 349. Round to the nearest ten, take one off."""
    return max(9, round(pesos / 10) * 10 - 1)


def _variants(
    family: Family, product: Product, rng: random.Random, barcodes: BarcodeMaker
) -> Iterator[DemoSku]:
    # One price and one weight for the whole product unless an axis (a size) spreads them.
    base_price = charm_price(rng.randint(*product.price))
    base_grams = rng.randint(*product.grams)
    choices = [tuple(enumerate(axis.options)) for axis in product.axes]
    for combo in itertools.product(*choices):
        price, grams = base_price, base_grams
        for axis, (index, _) in zip(product.axes, combo, strict=True):
            if axis.scales_price:
                price = charm_price(_spread(product.price, index, axis))
            if axis.scales_weight:
                grams = round(_spread(product.grams, index, axis) * rng.uniform(0.97, 1.03))
        yield DemoSku(
            code="-".join([family.code, product.code, *(option[0] for _, option in combo)]),
            name=_name(product, [option[1] for _, option in combo]),
            family=family.code,
            product=f"{family.code}-{product.code}",
            weight_grams=grams,
            list_price=peso_string(price),
            barcodes=_barcodes_for(family.code, rng, barcodes),
        )


def _spread(bounds: tuple[int, int], index: int, axis: Axis) -> float:
    low, high = bounds
    steps = len(axis.options) - 1
    return low if steps == 0 else low + (high - low) * index / steps


def _name(product: Product, labels: list[str]) -> str:
    """Fill {axis} placeholders; the labels of axes the template does not name go after a dash."""
    named = {axis.name: label for axis, label in zip(product.axes, labels, strict=True)}
    rest = [
        label
        for axis, label in zip(product.axes, labels, strict=True)
        if "{" + axis.name + "}" not in product.name
    ]
    name = product.name.format_map(named)
    return f"{name} - {', '.join(rest)}" if rest else name


def _barcodes_for(supplier: str, rng: random.Random, barcodes: BarcodeMaker) -> tuple[DemoBarcode, ...]:
    # Most local goods carry a GS1 Philippines EAN-13, some imports a UPC-A; the rest only get the
    # label Bodega prints. A few barcoded items also have a Bodega label stuck on at receiving.
    roll = rng.random()
    if roll < 0.15:
        return (barcodes.internal(),)
    primary = barcodes.ean13(supplier) if roll < 0.82 else barcodes.upc(supplier)
    return (primary, barcodes.internal()) if rng.random() < 0.25 else (primary,)


def _bundle(spec: BundleSpec, by_code: dict[str, DemoSku], barcodes: BarcodeMaker) -> DemoSku:
    missing = [code for code, _ in spec.components if code not in by_code]
    if missing:
        raise ValueError(f"bundle {spec.code} names unknown SKUs: {', '.join(missing)}")
    parts = [(by_code[code], qty) for code, qty in spec.components]
    total = sum(int(sku.list_price.split(".")[0]) * qty for sku, qty in parts)
    return DemoSku(
        code=spec.code,
        name=spec.name,
        family=BUNDLE_FAMILY,
        product=spec.code,
        weight_grams=sum(sku.weight_grams * qty for sku, qty in parts),
        list_price=peso_string(charm_price(total * (1 - spec.discount))),
        # A bundle is packed in-house, so it only ever has Bodega's own label.
        barcodes=(barcodes.internal(),),
        is_bundle=True,
        components=tuple(DemoComponent(sku=code, qty=qty) for code, qty in spec.components),
    )

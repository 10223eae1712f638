"""HTTP endpoints for SKUs, bundles and barcodes. Staff read the catalog; only admins change it."""

# No `from __future__ import annotations`: Litestar resolves these signatures at runtime.
from typing import Any

from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromQuery, JSONBody

from server.auth.principal import ADMIN, STAFF
from server.catalog import services
from server.catalog.schemas import BarcodeIn, BarcodeLookup, ComponentsIn, SkuIn, SkuOut, SkuPatch
from server.db import Database
from server.pagination import PAGINATION, Page, PageParams, TextFilter, UrlKey

# Explicit parameter kinds: Litestar 2.23+ deprecates inferring them, and 3.0 drops it.
Db = NamedDependency[Database]


class SkuController(Controller):
    path = "/api/v1/skus"
    tags = ["catalog"]

    @get("/", opt=STAFF, dependencies=PAGINATION, summary="List SKUs")
    async def list_skus(
        self,
        db: Db,
        page: NamedDependency[PageParams],
        q: TextFilter = None,
        active: FromQuery[bool | None] = None,
        is_bundle: FromQuery[bool | None] = None,
        barcode: TextFilter = None,
    ) -> Page[SkuOut]:
        return await services.list_skus(db, page, q=q, active=active, is_bundle=is_bundle, barcode=barcode)

    @get("/{code:str}", opt=STAFF, summary="One SKU with its barcodes and bundle components")
    async def get_sku(self, db: Db, code: UrlKey) -> SkuOut:
        return await services.get_sku(db, code)

    @post("/", opt=ADMIN, summary="Add a SKU; components make it a bundle")
    async def create_sku(self, db: Db, data: JSONBody[SkuIn]) -> SkuOut:
        return await services.create_sku(db, data)

    @patch("/{code:str}", opt=ADMIN, summary="Change a SKU's name, weight or active flag")
    async def update_sku(self, db: Db, code: UrlKey, data: JSONBody[SkuPatch]) -> SkuOut:
        return await services.update_sku(db, code, data)

    @put("/{code:str}/components", opt=ADMIN, summary="Replace a bundle's components")
    async def replace_components(self, db: Db, code: UrlKey, data: JSONBody[ComponentsIn]) -> SkuOut:
        return await services.replace_components(db, code, data)

    @post("/{code:str}/barcodes", opt=ADMIN, summary="Add a barcode to a SKU")
    async def add_barcode(self, db: Db, code: UrlKey, data: JSONBody[BarcodeIn]) -> SkuOut:
        return await services.add_barcode(db, code, data)


class BarcodeController(Controller):
    path = "/api/v1/barcodes"
    tags = ["catalog"]

    @get("/{barcode:str}", opt=STAFF, summary="Which SKU a scanned barcode belongs to")
    async def lookup_barcode(self, db: Db, barcode: UrlKey) -> BarcodeLookup:
        return await services.lookup_barcode(db, barcode)

    @delete("/{barcode:str}", opt=ADMIN, summary="Remove a barcode from its SKU")
    async def delete_barcode(self, db: Db, barcode: UrlKey) -> None:
        await services.delete_barcode(db, barcode)


catalog_routes: list[Any] = [SkuController, BarcodeController]

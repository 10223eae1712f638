"""Catalog rules: barcodes that scan, one owner per barcode, and bundles made of plain SKUs.

Every check runs before the write, so a refusal names the field. A concurrent writer on
PostgreSQL can still win between the check and the insert; the unique constraint then fails,
and the checks are run again to name what now clashes (409) instead of answering 500.
"""

import re
import uuid
from collections import defaultdict
from collections.abc import Sequence

from msgspec import UNSET
from sqlalchemy import BigInteger, Select, Uuid, column, delete, or_, select, table, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stdnum import ean

from server.catalog.models import Barcode, BundleComponent, Sku
from server.catalog.schemas import (
    CODE_PATTERN,
    BarcodeIn,
    BarcodeLookup,
    BarcodeOut,
    ComponentIn,
    ComponentOut,
    ComponentsIn,
    SkuIn,
    SkuOut,
    SkuPatch,
)
from server.db import Database
from server.db.base import utcnow
from server.db.orm import orm_session
from server.errors import Conflict, FieldError, InvalidInput, NotFound
from server.pagination import Page, PageParams, fetch_page

# Whether a SKU holds stock: the catalog only reads the inventory's balances (to refuse making a
# stocked SKU a bundle), so it names their table instead of importing the inventory package, which
# stands above the catalog (stock is kept per SKU).
_BALANCES = table(
    "stock_balances", column("sku_id", Uuid), column("on_hand", BigInteger), column("reserved", BigInteger)
)

# ---------------------------------------------------------------------------------------------
# Barcodes


_GS1_LENGTHS = {"ean13": (13, "An EAN-13"), "upc": (12, "A UPC-A")}


def barcode_problem(code: str, kind: str) -> str | None:
    """Why `code` is not a valid barcode of this kind, or None when it is."""
    if kind in _GS1_LENGTHS:
        length, label = _GS1_LENGTHS[kind]
        if len(code) != length or not (code.isascii() and code.isdigit()):
            return f"{label} barcode is exactly {length} digits"
        expected = ean.calc_check_digit(code[:-1])  # GS1's mod-10 digit, as for every GTIN
        if code[-1] != expected:
            return f"the check digit should be {expected}, not {code[-1]}: look for a mistyped digit"
        return None
    if not re.search(CODE_PATTERN, code):
        return "may not contain '/' or control characters, or start or end with a space"
    if kind == "code128" and not code.isascii():
        return "Code 128 holds ASCII characters only"
    return None


def scan_forms(code: str) -> list[str]:
    """The code as given, then the same GS1 number written at its other length.

    Scanners report a UPC-A either as its 12 digits or as an EAN-13 with a leading 0, so
    012345678905 and 0012345678905 are one product and must find the same SKU.
    """
    forms = [code]
    if code.isascii() and code.isdigit():
        if len(code) == 12:
            forms.append("0" + code)
        elif len(code) == 13 and code.startswith("0"):
            forms.append(code[1:])
    return forms


def _barcode_errors(fields: Sequence[tuple[str, BarcodeIn]]) -> list[FieldError]:
    """Invalid barcodes, and the same barcode given twice in one request."""
    errors: list[FieldError] = []
    seen: set[str] = set()
    for field, barcode in fields:
        problem = barcode_problem(barcode.code, barcode.kind)
        forms = set(scan_forms(barcode.code))
        if problem is not None:
            errors.append(FieldError(field, problem))
        elif forms & seen:
            errors.append(FieldError(field, f"barcode {barcode.code} is listed twice"))
        seen |= forms
    return errors


def _barcode_clashes(session: Session, fields: Sequence[tuple[str, BarcodeIn]]) -> list[FieldError]:
    """The barcodes that already belong to a SKU (in either GS1 form), naming that SKU."""
    wanted = {form: barcode.code for _, barcode in fields for form in scan_forms(barcode.code)}
    if not wanted:
        return []
    stmt = select(Barcode.code, Sku.code).join(Sku, Sku.id == Barcode.sku_id).where(Barcode.code.in_(wanted))
    owners: dict[str, tuple[str, str]] = {}
    for stored, sku_code in session.execute(stmt):
        owners[wanted[stored]] = (stored, sku_code)
    errors: list[FieldError] = []
    for field, barcode in fields:
        if barcode.code in owners:
            stored, sku_code = owners[barcode.code]
            as_stored = "" if stored == barcode.code else f" (as {stored})"
            errors.append(
                FieldError(field, f"barcode {barcode.code} already belongs to SKU {sku_code}{as_stored}")
            )
    return errors


# ---------------------------------------------------------------------------------------------
# Bundles


def _resolve_components(
    session: Session, bundle_code: str, components: Sequence[ComponentIn]
) -> list[tuple[Sku, int]]:
    """The component SKUs with their quantities, or 422 naming each bad line."""
    errors: list[FieldError] = []
    flagged: set[int] = set()
    seen: set[str] = set()
    for i, line in enumerate(components):
        if line.sku == bundle_code:
            errors.append(FieldError(f"components[{i}].sku", "a bundle cannot contain itself"))
            flagged.add(i)
        elif line.sku in seen:
            errors.append(
                FieldError(f"components[{i}].sku", f"{line.sku} is listed twice; put the total in qty")
            )
            flagged.add(i)
        seen.add(line.sku)
    # On PostgreSQL the bundle and its components are locked, all in one statement in id order
    # (so two admins editing crossing bundles cannot deadlock), and re-read: a component cannot
    # become a bundle, nor the bundle a component, while this is saved.
    stmt = (
        select(Sku)
        .where(Sku.code.in_(seen | {bundle_code}))
        .order_by(Sku.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    found = {sku.code: sku for sku in session.scalars(stmt) if sku.code != bundle_code}
    for i, line in enumerate(components):
        sku = found.get(line.sku)
        if i in flagged:
            continue
        if sku is None:
            errors.append(FieldError(f"components[{i}].sku", f"no SKU has the code {line.sku}"))
        elif sku.is_bundle:
            errors.append(
                FieldError(
                    f"components[{i}].sku", f"{line.sku} is itself a bundle; list its components instead"
                )
            )
    if errors:
        raise InvalidInput("the bundle's components are not valid", errors)
    return [(found[line.sku], line.qty) for line in components]


def _check_can_become_bundle(session: Session, sku: Sku) -> None:
    """A plain SKU may become a bundle only if no bundle uses it and it holds no stock."""
    stmt = (
        select(Sku.code)
        .join(BundleComponent, BundleComponent.bundle_sku_id == Sku.id)
        .where(BundleComponent.component_sku_id == sku.id)
        .order_by(Sku.code)
    )
    used_by = list(session.scalars(stmt))
    if used_by:
        raise Conflict(
            f"{sku.code} is a component of {', '.join(used_by)}",
            [
                FieldError(
                    "components",
                    f"{sku.code} is part of bundle {used_by[0]}; a bundle cannot be inside another",
                )
            ],
        )
    # A bundle's stock is its components' stock; units held under its own code would be stranded.
    stock = select(_BALANCES.c.sku_id).where(
        _BALANCES.c.sku_id == sku.id, or_(_BALANCES.c.on_hand != 0, _BALANCES.c.reserved != 0)
    )
    if session.scalar(stock.limit(1)) is not None:
        raise Conflict(
            f"{sku.code} has stock on hand or reserved",
            [FieldError("components", f"{sku.code} holds stock; move it out before making it a bundle")],
        )


def _save_components(session: Session, sku: Sku, components: Sequence[tuple[Sku, int]]) -> None:
    session.execute(delete(BundleComponent).where(BundleComponent.bundle_sku_id == sku.id))
    session.add_all(
        BundleComponent(bundle_sku_id=sku.id, component_sku_id=part.id, qty=qty) for part, qty in components
    )
    sku.is_bundle = bool(components)


# ---------------------------------------------------------------------------------------------
# Reading


def find_sku(session: Session, code: str) -> Sku | None:
    """The SKU with this seller code, for other domains (listings, orders) that refer to it by code."""
    return session.scalar(select(Sku).where(Sku.code == code))


def _sku_or_404(session: Session, code: str) -> Sku:
    sku = find_sku(session, code)
    if sku is None:
        raise NotFound(f"no SKU has the code {code}", [FieldError("code", "no SKU has this code")])
    return sku


def _sku_outs(session: Session, skus: Sequence[Sku]) -> list[SkuOut]:
    """SKUs with their barcodes and components, in two queries however many SKUs there are."""
    ids = [sku.id for sku in skus]
    barcodes: defaultdict[uuid.UUID, list[BarcodeOut]] = defaultdict(list)
    components: defaultdict[uuid.UUID, list[ComponentOut]] = defaultdict(list)
    if ids:
        for row in session.scalars(select(Barcode).where(Barcode.sku_id.in_(ids)).order_by(Barcode.code)):
            barcodes[row.sku_id].append(BarcodeOut(code=row.code, kind=row.kind, created_at=row.created_at))
        stmt = (
            select(BundleComponent.bundle_sku_id, Sku.code, Sku.name, BundleComponent.qty)
            .join(Sku, Sku.id == BundleComponent.component_sku_id)
            .where(BundleComponent.bundle_sku_id.in_(ids))
            .order_by(Sku.code)
        )
        for bundle_id, code, name, qty in session.execute(stmt):
            components[bundle_id].append(ComponentOut(sku=code, name=name, qty=qty))
    return [
        SkuOut(
            id=sku.id,
            code=sku.code,
            name=sku.name,
            weight_grams=sku.weight_grams,
            active=sku.active,
            is_bundle=sku.is_bundle,
            barcodes=barcodes[sku.id],
            components=components[sku.id],
            created_at=sku.created_at,
            updated_at=sku.updated_at,
        )
        for sku in skus
    ]


def _sku_out(session: Session, sku: Sku) -> SkuOut:
    return _sku_outs(session, [sku])[0]


async def list_skus(
    db: Database,
    page: PageParams,
    *,
    q: str | None = None,
    active: bool | None = None,
    is_bundle: bool | None = None,
    barcode: str | None = None,
) -> Page[SkuOut]:
    """SKUs by code. `q` matches part of the code or name; `barcode` is a scan (either GS1 form)."""
    stmt = select(Sku).order_by(Sku.code)
    if q:
        stmt = stmt.where(or_(Sku.code.icontains(q, autoescape=True), Sku.name.icontains(q, autoescape=True)))
    if active is not None:
        stmt = stmt.where(Sku.active == active)
    if is_bundle is not None:
        stmt = stmt.where(Sku.is_bundle == is_bundle)
    if barcode:
        stmt = stmt.where(Sku.id.in_(select(Barcode.sku_id).where(Barcode.code.in_(scan_forms(barcode)))))
    return await db.run_read(_sku_page, stmt, page)


def _sku_page(conn: Connection, stmt: Select[Sku], page: PageParams) -> Page[SkuOut]:
    with orm_session(conn) as session:
        skus, total = fetch_page(session, stmt, page)
        return page.of(_sku_outs(session, skus), total)


async def get_sku(db: Database, code: str) -> SkuOut:
    return await db.run_read(_get_sku, code)


def _get_sku(conn: Connection, code: str) -> SkuOut:
    with orm_session(conn) as session:
        return _sku_out(session, _sku_or_404(session, code))


async def lookup_barcode(db: Database, code: str) -> BarcodeLookup:
    """The SKU a scanned code belongs to; an exact match wins over the other GS1 form."""
    return await db.run_read(_lookup_barcode, code)


def _lookup_barcode(conn: Connection, code: str) -> BarcodeLookup:
    forms = scan_forms(code)
    with orm_session(conn) as session:
        found = {row.code: row for row in session.scalars(select(Barcode).where(Barcode.code.in_(forms)))}
        for form in forms:
            if form in found:
                barcode = found[form]
                sku = session.get_one(Sku, barcode.sku_id)
                return BarcodeLookup(code=barcode.code, kind=barcode.kind, sku=_sku_out(session, sku))
    raise NotFound(f"no SKU has the barcode {code}", [FieldError("barcode", "no SKU has this barcode")])


# ---------------------------------------------------------------------------------------------
# Writing: each service checks what it can without the database, runs its transaction through
# the one writer (`run_write`, a module-level function so the writer process can run it) and
# answers with what the transaction built.


def _new_barcode_fields(data: SkuIn) -> list[tuple[str, BarcodeIn]]:
    return [(f"barcodes[{i}].code", barcode) for i, barcode in enumerate(data.barcodes)]


def _check_new_sku_free(session: Session, data: SkuIn) -> None:
    clashes: list[FieldError] = []
    if find_sku(session, data.code) is not None:
        clashes.append(FieldError("code", f"SKU {data.code} already exists"))
    clashes += _barcode_clashes(session, _new_barcode_fields(data))
    if clashes:
        raise Conflict(f"SKU {data.code} clashes with the catalog", clashes)


async def create_sku(db: Database, data: SkuIn) -> SkuOut:
    if errors := _barcode_errors(_new_barcode_fields(data)):
        raise InvalidInput("some barcodes are not valid", errors)
    try:
        return await db.run_write(_create_sku, data)
    except IntegrityError as exc:
        await db.run_read(_recheck_new_sku, data)
        raise _changed_meanwhile("code") from exc


def _create_sku(conn: Connection, data: SkuIn) -> SkuOut:
    with orm_session(conn) as session:
        components = _resolve_components(session, data.code, data.components)
        _check_new_sku_free(session, data)
        sku = Sku(code=data.code, name=data.name, weight_grams=data.weight_grams, active=data.active)
        session.add(sku)
        session.flush()
        session.add_all(Barcode(code=b.code, kind=b.kind, sku_id=sku.id) for b in data.barcodes)
        _save_components(session, sku, components)
        session.flush()
        return _sku_out(session, sku)


def _recheck_new_sku(conn: Connection, data: SkuIn) -> None:
    with orm_session(conn) as session:
        _check_new_sku_free(session, data)


async def update_sku(db: Database, code: str, data: SkuPatch) -> SkuOut:
    return await db.run_write(_update_sku, code, data)


def _update_sku(conn: Connection, code: str, data: SkuPatch) -> SkuOut:
    with orm_session(conn) as session:
        sku = _sku_or_404(session, code)
        if data.name is not UNSET:
            sku.name = data.name
        if data.weight_grams is not UNSET:
            sku.weight_grams = data.weight_grams
        if data.active is not UNSET:
            sku.active = data.active
        session.flush()
        return _sku_out(session, sku)


async def replace_components(db: Database, code: str, data: ComponentsIn) -> SkuOut:
    try:
        return await db.run_write(_replace_components, code, data)
    except IntegrityError as exc:
        raise _changed_meanwhile("components") from exc


def _replace_components(conn: Connection, code: str, data: ComponentsIn) -> SkuOut:
    with orm_session(conn) as session:
        sku = _sku_or_404(session, code)
        components = _resolve_components(session, sku.code, data.components)
        if components and not sku.is_bundle:
            _check_can_become_bundle(session, sku)
        _save_components(session, sku, components)
        sku.updated_at = utcnow()
        session.flush()
        return _sku_out(session, sku)


async def add_barcode(db: Database, code: str, data: BarcodeIn) -> SkuOut:
    try:
        return await db.run_write(_add_barcode, code, data)
    except IntegrityError as exc:
        await db.run_read(_recheck_barcode, data)
        raise _changed_meanwhile("code") from exc


def _add_barcode(conn: Connection, code: str, data: BarcodeIn) -> SkuOut:
    fields = [("code", data)]
    with orm_session(conn) as session:
        sku = _sku_or_404(session, code)
        if errors := _barcode_errors(fields):
            raise InvalidInput(f"{data.code} is not a valid {data.kind} barcode", errors)
        if clashes := _barcode_clashes(session, fields):
            raise Conflict(f"barcode {data.code} is taken", clashes)
        session.add(Barcode(code=data.code, kind=data.kind, sku_id=sku.id))
        sku.updated_at = utcnow()
        session.flush()
        return _sku_out(session, sku)


def _recheck_barcode(conn: Connection, data: BarcodeIn) -> None:
    with orm_session(conn) as session:
        if clashes := _barcode_clashes(session, [("code", data)]):
            raise Conflict(f"barcode {data.code} is taken", clashes)


async def delete_barcode(db: Database, code: str) -> None:
    """Removes exactly this code (not its other GS1 form): deleting should never surprise."""
    await db.run_write(_delete_barcode, code)


def _delete_barcode(conn: Connection, code: str) -> None:
    with orm_session(conn) as session:
        barcode = session.get(Barcode, code)
        if barcode is None:
            raise NotFound(
                f"no SKU has the barcode {code}", [FieldError("barcode", "no SKU has this barcode")]
            )
        session.delete(barcode)
        session.execute(update(Sku).where(Sku.id == barcode.sku_id).values(updated_at=utcnow()))


def _changed_meanwhile(field: str) -> Conflict:
    return Conflict(
        "another change to the catalog was saved at the same moment; load it again and retry",
        [FieldError(field, "changed by someone else at the same moment")],
    )

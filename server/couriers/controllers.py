"""HTTP endpoints for third-party couriers: accounts, waybills, status reports (webhook and CSV),
remittance imports with their progress, findings and reports.

No `from __future__ import annotations`: Litestar reads these signatures at runtime.
"""

import uuid
from typing import Annotated, Any

import anyio.to_thread
import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.background_tasks import BackgroundTask
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, PathParameter
from sqlalchemy.engine import Connection

import server.couriers.receivables  # noqa: F401  # pyright: ignore[reportUnusedImport]  (hands COD its reading)
from server.auth.principal import ADMIN, MANAGERS, PUBLIC, Principal
from server.couriers import accounts, services, statuses
from server.couriers.accounts import CourierTerms, Handed, load_courier
from server.couriers.remittances import check_overdue
from server.couriers.report import render_csv, render_pdf
from server.couriers.schemas import (
    BatchOut,
    CourierIn,
    CourierOut,
    CycleIn,
    FeeIn,
    FindingOut,
    MapStatusIn,
    MapStatusOut,
    OverdueOut,
    ParcelsIn,
    ParcelsOut,
    RejectOut,
    StatusResultOut,
    WaitingStatusOut,
    WebhookIn,
)
from server.couriers.statuses import StatusReport, StatusResult
from server.db import Database
from server.db.base import utcnow
from server.errors import PROBLEM_MEDIA_TYPE, BodegaError, FieldError, InvalidInput, Problem
from server.pagination import PAGINATION, Page, PageParams, TextFilter, UrlKey

Db = NamedDependency[Database]
MAX_FILE = 50_000_000  # a 100,000-row remittance CSV is about 5 MB
MAX_WEBHOOK = 1_000_000
SIGNATURE_HEADER = "X-Courier-Signature"


# A new account's code: what accounts_code_ok takes (the other routes look codes up: UrlKey).
CourierCode = Annotated[
    str, PathParameter(pattern=r"^[a-z0-9][a-z0-9_-]{1,31}$", description="2-32 of a-z, 0-9, _ and -")
]


class BadSignature(BodegaError):
    status = 401
    slug = "bad-signature"
    title = "The webhook's signature does not match"


def _out(c: CourierTerms) -> CourierOut:
    return CourierOut(
        code=c.code,
        name=c.name,
        fee=FeeIn(c.rule.percent_bp, c.rule.minimum, c.rule.flat, c.rule.vat_bp),
        cycle=CycleIn(c.cycle.kind, c.cycle.days, c.cycle.weekday),  # type: ignore[arg-type]
        grace_days=c.grace_days,
        has_webhook_secret=bool(c.webhook_secret),
        remittance_columns=c.remittance_columns,
        status_columns=c.status_columns,
        status_map=c.status_map,
        reason_map=c.reason_map,
    )


def _columns(struct: Any) -> dict[str, str]:
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v} if struct is not None else {}


def save_account(conn: Connection, code: str, data: CourierIn) -> CourierTerms:
    values = {
        "name": data.name,
        "fee_percent_bp": data.fee.percent_bp,
        "fee_min": data.fee.minimum,
        "fee_flat": data.fee.flat,
        "vat_bp": data.fee.vat_bp,
        "cycle": data.cycle.kind,
        "cycle_days": data.cycle.days,
        "cycle_weekday": data.cycle.weekday,
        "grace_days": data.grace_days,
        "webhook_secret": data.webhook_secret,
        "remittance_columns": _columns(data.remittance_columns),
        "status_columns": _columns(data.status_columns),
        "status_map": {accounts.status_key(k): v for k, v in data.status_map.items()},
        "reason_map": {accounts.status_key(k): v for k, v in data.reason_map.items()},
    }
    return accounts.save_courier(conn, code, values)[0]


def attach(conn: Connection, code: str, parcels: list[Handed], actor: str) -> int:
    return accounts.attach_waybills(conn, load_courier(conn, code), parcels, actor)


def record(conn: Connection, code: str, reports: list[StatusReport], source: str) -> StatusResult:
    return statuses.record_statuses(conn, load_courier(conn, code), reports, source)


def import_status_file(
    conn: Connection, code: str, reports: list[StatusReport], rejects: list[Any]
) -> StatusResult:
    return statuses.import_statuses(conn, load_courier(conn, code), reports, rejects)


def keep_webhook(conn: Connection, courier_id: uuid.UUID, body: bytes, signature: str, reason: str) -> None:
    """A refused webhook is kept (its first 4 KB) with the reason."""
    cells = {"body": body[:4096].decode("utf-8", errors="replace"), "signature": signature[:200]}
    statuses.keep_rejects(conn, courier_id, "webhook", [(0, cells, reason)])


def map_word(conn: Connection, code: str, word: str, event: str) -> int:
    return statuses.map_status(conn, load_courier(conn, code), word, event)


def waiting(conn: Connection, code: str) -> list[WaitingStatusOut]:
    return [WaitingStatusOut(*w) for w in statuses.waiting_statuses(conn, load_courier(conn, code))]


def overdue(conn: Connection, code: str) -> int:
    return check_overdue(conn, load_courier(conn, code))


def _result(r: StatusResult) -> StatusResultOut:
    return StatusResultOut(r.received, r.duplicates, r.applied, r.queued, r.unknown_waybills, r.rejected)


async def _finish_import(db: Database, started: services.Started) -> None:
    """The rest of an import, after the answer went out: a failure is on the batch (status failed)."""
    try:
        await services.run_remittance(db, started)
    except Exception:  # logged and recorded on the batch by run_remittance
        return


class CourierController(Controller):
    path = "/api/v1/couriers"
    tags = ["couriers"]

    @get("/", opt=MANAGERS, summary="Courier accounts")
    async def list_couriers(self, db: Db) -> list[CourierOut]:
        return [_out(c) for c in await db.run_read(accounts.list_couriers)]

    @get("/{code:str}", opt=MANAGERS, summary="One courier account with its fee contract and cycle")
    async def get_courier(self, db: Db, code: UrlKey) -> CourierOut:
        return _out(await db.run_read(load_courier, code))

    @put("/{code:str}", opt=ADMIN, summary="Create a courier account or replace its terms")
    async def put_courier(self, db: Db, code: CourierCode, data: JSONBody[CourierIn]) -> CourierOut:
        if not accounts_code_ok(code):
            raise InvalidInput("bad courier code", [FieldError("code", "2-32 of a-z, 0-9, _ and -")])
        return _out(await db.run_write(save_account, code, data))

    @post(
        "/{code:str}/parcels",
        opt=MANAGERS,
        status_code=200,
        summary="Record the courier's waybill of each parcel handed to it",
    )
    async def attach_parcels(
        self, request: Request[Principal, Any, Any], db: Db, code: UrlKey, data: JSONBody[ParcelsIn]
    ) -> ParcelsOut:
        parcels = [Handed(p.order, p.waybill) for p in data.parcels]
        return ParcelsOut(await db.run_write(attach, code, parcels, request.user.actor))

    @post(
        "/{code:str}/webhook",
        opt=PUBLIC,
        status_code=200,
        request_max_body_size=MAX_WEBHOOK,
        summary="A courier's status updates, signed: hex HMAC-SHA256 of the raw body in X-Courier-Signature",
        responses={
            401: ResponseSpec(
                Problem,
                description="The signature does not match the courier's secret",
                media_type=PROBLEM_MEDIA_TYPE,
            )
        },
    )
    async def webhook(self, request: Request[Any, Any, Any], db: Db, code: UrlKey) -> StatusResultOut:
        courier = await db.run_read(load_courier, code)
        body = await request.body()
        signature = request.headers.get(SIGNATURE_HEADER, "")
        if not statuses.signature_ok(courier.webhook_secret, body, signature):
            why = (
                "no webhook secret is set for this courier" if not courier.webhook_secret else "bad signature"
            )
            await db.run_write(keep_webhook, courier.id, body, signature, why)
            raise BadSignature(why, [FieldError(SIGNATURE_HEADER, why)])
        try:
            data = msgspec.json.decode(body, type=WebhookIn)
        except msgspec.ValidationError as exc:
            await db.run_write(keep_webhook, courier.id, body, signature, str(exc))
            raise InvalidInput("the events are not readable", [FieldError("body", str(exc))]) from exc
        except msgspec.DecodeError as exc:
            await db.run_write(keep_webhook, courier.id, body, signature, "not JSON")
            raise InvalidInput("the body is not JSON", [FieldError("body", str(exc))]) from exc
        reports = [StatusReport(e.waybill, e.status, _utc(e.at), e.reason) for e in data.events]
        return _result(await db.run_write(record, code, reports, "webhook"))

    @post(
        "/{code:str}/statuses",
        opt=MANAGERS,
        status_code=200,
        request_max_body_size=MAX_FILE,
        summary="Import the courier's status file (CSV or XLSX, the courier's status_columns)",
    )
    async def import_statuses(
        self, db: Db, request: Request[Principal, Any, Any], code: UrlKey
    ) -> StatusResultOut:
        courier = await db.run_read(load_courier, code)
        data = await request.body()
        reports, rejects = await anyio.to_thread.run_sync(statuses.read_status_file, data, courier, utcnow())
        return _result(await db.run_write(import_status_file, code, reports, rejects))

    @get(
        "/{code:str}/statuses/waiting", opt=MANAGERS, summary="Status words waiting for a person to map them"
    )
    async def waiting_statuses(self, db: Db, code: UrlKey) -> list[WaitingStatusOut]:
        return await db.run_read(waiting, code)

    @post(
        "/{code:str}/statuses/map",
        opt=MANAGERS,
        status_code=200,
        summary="Say what a courier's status word means; the events waiting for it are applied",
    )
    async def map_status(self, db: Db, code: UrlKey, data: JSONBody[MapStatusIn]) -> MapStatusOut:
        applied = await db.run_write(map_word, code, data.status, data.event)
        return MapStatusOut(data.status, data.event, applied)

    @post(
        "/{code:str}/remittances",
        opt=MANAGERS,
        status_code=202,
        request_max_body_size=MAX_FILE,
        summary="Import a remittance report (CSV or XLSX): answers the batch at once; poll it for progress",
        responses={
            200: ResponseSpec(BatchOut, description="This very file was imported before: nothing new")
        },
    )
    async def import_remittance(
        self, request: Request[Principal, Any, Any], db: Db, code: UrlKey, filename: TextFilter = None
    ) -> Response[BatchOut]:
        data = await request.body()
        started = await services.start_remittance(db, code, data, (filename or "")[:255], request.user.actor)
        out = await db.run_read(services.batch_out, started.batch_id)
        if started.status == "done":
            return Response(out, status_code=200)  # this very file was imported before: nothing new
        return Response(out, status_code=202, background=BackgroundTask(_finish_import, db, started))

    @post(
        "/{code:str}/overdue-check",
        opt=MANAGERS,
        status_code=200,
        summary="Raise parcels delivered and not remitted in time",
    )
    async def overdue_check(self, db: Db, code: UrlKey) -> OverdueOut:
        return OverdueOut(await db.run_write(overdue, code))


class RemittanceController(Controller):
    path = "/api/v1/remittances"
    tags = ["couriers"]

    @get("/", opt=MANAGERS, dependencies=PAGINATION, summary="Remittance batches, newest first")
    async def list_batches(
        self, db: Db, page: NamedDependency[PageParams], courier: TextFilter = None
    ) -> Page[BatchOut]:
        return await db.run_read(services.batch_page, page, courier)

    @get(
        "/{batch_id:uuid}", opt=MANAGERS, summary="A remittance batch: progress while importing, then totals"
    )
    async def get_batch(self, db: Db, batch_id: FromPath[uuid.UUID]) -> BatchOut:
        return await db.run_read(services.batch_out, batch_id)

    @get("/{batch_id:uuid}/findings", opt=MANAGERS, summary="The batch's findings")
    async def findings(self, db: Db, batch_id: FromPath[uuid.UUID]) -> list[FindingOut]:
        await db.run_read(services.batch_out, batch_id)  # 404 for no batch
        return await db.run_read(services.findings_of, batch_id)

    @get("/{batch_id:uuid}/rejects", opt=MANAGERS, summary="The batch's rejected rows, each with its reason")
    async def rejects(self, db: Db, batch_id: FromPath[uuid.UUID]) -> list[RejectOut]:
        await db.run_read(services.batch_out, batch_id)
        return await db.run_read(services.rejects_of, batch_id)

    @get(
        "/{batch_id:uuid}/report.csv",
        opt=MANAGERS,
        summary="The reconciliation report as CSV",
        media_type="text/csv",
    )
    async def report_csv(self, db: Db, batch_id: FromPath[uuid.UUID]) -> Response[str]:
        batch, findings, rejects = await _report(db, batch_id)
        text = render_csv(batch, findings, rejects)
        return Response(text, media_type="text/csv", headers=_attachment(batch, "csv"))

    @get(
        "/{batch_id:uuid}/report.pdf",
        opt=MANAGERS,
        summary="The reconciliation report as PDF",
        media_type="application/pdf",
    )
    async def report_pdf(self, db: Db, batch_id: FromPath[uuid.UUID]) -> Response[bytes]:
        batch, findings, rejects = await _report(db, batch_id)
        pdf = await anyio.to_thread.run_sync(render_pdf, batch, findings, rejects)  # reportlab blocks
        return Response(pdf, media_type="application/pdf", headers=_attachment(batch, "pdf"))


async def _report(db: Database, batch_id: uuid.UUID) -> tuple[BatchOut, list[FindingOut], list[RejectOut]]:
    batch = await db.run_read(services.batch_out, batch_id)
    return (
        batch,
        await db.run_read(services.findings_of, batch_id),
        await db.run_read(services.rejects_of, batch_id),
    )


def _attachment(batch: BatchOut, ext: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="remittance-{batch.courier}-{batch.id}.{ext}"'}


def _utc(moment: Any) -> Any:
    from datetime import UTC

    if moment.tzinfo is None:
        from server.couriers.sheets import MANILA

        moment = moment.replace(tzinfo=MANILA)
    return moment.astimezone(UTC)


def accounts_code_ok(code: str) -> bool:
    import re

    return re.fullmatch(r"[a-z0-9][a-z0-9_-]{1,31}", code) is not None


courier_routes: list[Any] = [CourierController, RemittanceController]

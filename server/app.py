"""The Litestar application: wires settings, the database, auth, errors and every domain's routes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from server.apidocs import docs_static, render_plugins
from server.auth.principal import PUBLIC, Principal, TokenAuthMiddleware, TokenDirectory
from server.body import BodyCheckedRequest
from server.db import Database
from server.db.base import utcnow
from server.db.checkpoint import Checkpointer
from server.db.migrate import check_schema
from server.db.writer import WriterProcess
from server.errors import exception_handlers
from server.logs import configure_logging, request_id_middleware, stamp_response
from server.openapi import document_once
from server.orders.controllers import keep_rejected_input
from server.routes import route_handlers
from server.settings import Settings, load_settings
from server.sync_api.service import sync_lifespan
from server.writes import finish


def create_app(settings: Settings | None = None, *, check_migrations: bool = True) -> Litestar:
    settings = settings or load_settings()
    configure_logging(settings.log_level, json=settings.log_json)
    db = Database(settings.database_url, finish=finish)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None]:
        from server.orders.committer import OrderCommitter

        if check_migrations:
            # Refuse to serve a database whose schema is not the one this code was written for.
            await check_schema(db)
        checkpointer = Checkpointer(db.sqlite_path) if db.sqlite_path else None
        if checkpointer is not None:
            checkpointer.start()
        if settings.writer_process and db.is_sqlite:
            db.writer_process = WriterProcess(settings.database_url)
            await db.writer_process.start()
        app.state.committer = OrderCommitter(db, settings)
        app.state.tokens = TokenDirectory(db)
        # Durable jobs (channel stock pushes, polls, counts, the webhook inbox, alerts, reports):
        # server/jobs/.
        from server.alerts import jobs as alert_jobs
        from server.channel_orders import pull as channel_pull
        from server.channels import jobs as channel_jobs
        from server.intake import jobs as inbox_job  # registers "channel.inbox"
        from server.jobs import Worker
        from server.push.alerts import PushService  # (importing it registers the push jobs)
        from server.reports import jobs as nightly  # registers the KPI rollup and daily report jobs

        app.state.push = PushService(db, settings.push_contact)
        await app.state.push.vapid()  # made on the first run, read ever after
        if settings.jobs_worker:  # the alerts' notification round (a job) pushes through it
            app.state.push.listen()
        services = {"push": app.state.push}
        from server.exceptions.live import ExceptionFeed

        app.state.exception_feed = ExceptionFeed(db)  # the console's live exception streams
        await app.state.exception_feed.start()
        handlers = channel_pull.handlers()
        handlers[inbox_job.INBOX] = inbox_job.process_webhooks
        app.state.jobs = Worker(db, handlers, services=services) if settings.jobs_worker else None
        if app.state.jobs is not None:
            # The alert rules, verify and the notification round run on the same worker.
            await db.run_write(alert_jobs.schedule)
            alert_jobs.wake_on_exceptions(db, app.state.jobs)
            await nightly.schedule(db, utcnow())
            await db.run_write(channel_jobs.schedule_preorder_window, utcnow())  # Manila midnight
            app.state.jobs.start()
        try:
            yield
        finally:
            if app.state.jobs is not None:
                await app.state.jobs.stop()  # a job cut short runs again when its lease expires
            app.state.push.close()
            await app.state.exception_feed.stop()
            await app.state.committer.close()
            app.state.tokens.close()
            await db.dispose()
            if checkpointer is not None:
                checkpointer.close()

    def provide_db() -> Database:
        return db

    def provide_settings() -> Settings:
        return settings

    app = Litestar(
        route_handlers=route_handlers(settings),
        dependencies={
            "db": Provide(provide_db, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        middleware=[request_id_middleware, DefineMiddleware(TokenAuthMiddleware)],
        exception_handlers=exception_handlers,
        after_exception=[keep_rejected_input],
        before_send=[stamp_response],
        # Exited in reverse: sync stops before the database is disposed.
        lifespan=[lifespan, sync_lifespan],
        openapi_config=OpenAPIConfig(
            title="Bodega",
            version="1.0.0",
            description="Orders, stock and cash on delivery for Philippine online sellers.",
            path="/schema",
            # The docs are public; without this the deny-by-default guard closes them to everyone.
            # The document is built and its errors rewritten on its first request, not at start-up:
            # that takes a quarter of a second, which every server and test app would pay.
            openapi_router=Router(
                "/schema",
                route_handlers=[docs_static],
                include_in_schema=False,
                opt=PUBLIC,
                before_request=document_once,
            ),
            # Swagger UI from Bodega's own files, not a CDN (server/apidocs).
            render_plugins=render_plugins(),
            components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
            security=[{"bearer": []}],
        ),
        request_class=BodyCheckedRequest,
        signature_types=[Principal],
        debug=False,
    )
    app.state.db = db
    app.state.settings = settings
    return app

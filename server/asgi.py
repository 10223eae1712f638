"""The ASGI entry point for uvicorn (`server.asgi:app`): the server process's own start-up."""

from server.app import create_app
from server.runtime import settle_garbage_collector

app = create_app()
# Process-wide, so here and not in create_app: the tests build many apps in one process.
settle_garbage_collector()

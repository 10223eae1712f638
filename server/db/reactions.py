"""The reactions every write transaction ends with, installed by whoever knows them.

The database layer runs transactions but knows no domain; `server/writes.py` knows the reactions
(retry held orders, close count tasks, log changed entities) and installs its `finish` here when it
is imported (the app, the CLI and the tests import it). A Database made afterwards runs it at the
end of every `run_write` transaction, in the writer process too (it travels to the
child by name, like every function sent there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from sqlalchemy.engine import Connection

from server.db.touched import begin, take_later


class Finish(Protocol):
    """The reactions: `finish(conn)` ends a transaction; a push, which answers with the change
    log's head, calls it itself as `finish(conn, actor="sync", log_head=True)`."""

    def __call__(self, conn: Connection, /, *, actor: str = ..., log_head: bool = ...) -> Any: ...


_installed: list[Finish] = []


def install(finish: Finish) -> None:
    _installed[:] = [finish]


def installed() -> Finish | None:
    return _installed[0] if _installed else None


Later = list[tuple[Callable[..., Any], tuple[Any, ...]]]


def run_in_transaction(
    conn: Connection, finish: Finish | None, fn: Callable[..., Any], args: tuple[Any, ...]
) -> tuple[Any, Any, Later]:
    """fn(conn, *args), then the reactions, in the caller's one transaction; (result, reactions,
    the follow-up transactions the reactions asked for, to run once this one has committed)."""
    begin(conn)
    result = fn(conn, *args)
    reactions = finish(conn) if finish is not None else None
    return result, reactions, take_later(conn)

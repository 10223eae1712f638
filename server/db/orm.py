"""ORM sessions inside a transaction that `Database.run_write` or `run_read` already opened.

The services that read better with the ORM (catalog, channels, users, warehouses) write their
transactions as synchronous functions of a Connection like every other writer, and open a
`Session` on that connection. The session joins the caller's transaction: it flushes into it and
never commits it, so the transaction still ends with the reactions and commits in one place.
"""

from __future__ import annotations

from collections.abc import Generator
from contextlib import contextmanager

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


@contextmanager
def orm_session(conn: Connection) -> Generator[Session]:
    """A session on `conn`; what it holds is flushed when the block ends without error."""
    with Session(bind=conn, expire_on_commit=False) as session:
        yield session
        session.flush()

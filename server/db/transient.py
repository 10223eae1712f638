"""Which database failures are the moment's, not the request's: the whole transaction is tried again."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from server.db.writer import WriterGone

# Serialization failure, deadlock, lock not available, admin shutdown, statement cancelled, connection.
_TRANSIENT_SQLSTATES = ("40001", "40P01", "55P03", "57P01", "57014", "08")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, OperationalError | WriterGone):
        return True
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or ""
        return isinstance(state, str) and state.startswith(_TRANSIENT_SQLSTATES)
    return False


# Serialization failure, deadlock: PostgreSQL rolled the whole transaction back, so running it
# again cannot apply anything twice.
_LOST_RACE = ("40001", "40P01")


def is_lost_race(exc: BaseException) -> bool:
    if not isinstance(exc, DBAPIError):
        return False
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or ""
    return isinstance(state, str) and state.startswith(_LOST_RACE)

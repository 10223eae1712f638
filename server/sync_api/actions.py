"""Exception actions settled by the writers of this package (server/exceptions/actions.py holds
the registry): a held count approved or rejected through the count reviews' writer, a recount, and
the COD conflicts' choices through the conflicts' writer."""

from __future__ import annotations

import uuid
from typing import get_args

from sqlalchemy.engine import Connection

from server.errors import Conflict, FieldError
from server.exceptions.actions import REGISTRY, Acting, ActionFn, action, count_task
from server.exceptions.kinds import COD_CONFLICTS
from server.sync_api.conflicts import Action, ResolveConflictIn, resolve_conflict
from server.sync_api.count_reviews import approve_count, reject_count


@action("recount")
def recount(conn: Connection, a: Acting) -> str:
    """A count far from the ledger: count again. A held count waiting for approval is rejected
    first (the recount decides), through the count reviews' writer."""
    review = a.details.get("review")
    if review:
        reject_count(conn, uuid.UUID(str(review)), a.actor)
    return count_task(conn, a).replace("count task", "recount task", 1)


def _review(a: Acting) -> uuid.UUID:
    review = a.details.get("review")
    if not review:
        raise Conflict("this exception names no count review", [FieldError("action", "no review")])
    return uuid.UUID(str(review))


@action("approve_count")
def approve(conn: Connection, a: Acting) -> str:
    approve_count(conn, _review(a), a.actor)
    return f"count approved: bin {a.details.get('bin', '')} set to the count"


@action("reject_count")
def reject(conn: Connection, a: Acting) -> str:
    reject_count(conn, _review(a), a.actor)
    return "count rejected: the bin keeps its ledger quantity"


def _conflict(name: Action) -> ActionFn:
    def settle(conn: Connection, a: Acting) -> str:
        done = resolve_conflict(conn, a.exception_id, ResolveConflictIn(name, a.note[:400]), a.actor)
        # The conflicts' writer resolved it with the note appended; `act` appends it again.
        said = done.resolution or name
        return said.removesuffix(f": {a.note}") if a.note else said

    return settle


# The conflicts' writer takes exactly the choices the exception kinds offer.
assert set(get_args(Action)) == {n for names in COD_CONFLICTS.values() for n in names}
for _name in get_args(Action):
    REGISTRY[_name] = _conflict(_name)

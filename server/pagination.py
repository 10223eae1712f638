"""Lists: the limit/offset query parameters, the Page every list answers with, and safe URL text.

A list handler declares `dependencies=PAGINATION` and takes `page: NamedDependency[PageParams]`;
its service runs the filtered select through `fetch_page` (in `Database.run_read`) and answers
`page.of(items, total)`.
Path keys are `UrlKey` and optional text filters `TextFilter`.
"""

from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.di import Provide
from litestar.params import PathParameter, QueryParameter
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Session

from server.errors import FieldError, InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Far past any real list, and inside every database's integer: a larger offset is a 422, not an
# overflow in the driver.
MAX_OFFSET = 2**31 - 1

T = TypeVar("T")
R = TypeVar("R")

# PostgreSQL refuses NUL in text and would answer 500, so text taken from the URL (path keys and
# filters) is checked up front: no control characters, bounded length.
_NO_CONTROL_CHARS = r"^[^\x00-\x1f\x7f]*$"
UrlKey = Annotated[str, PathParameter(min_length=1, max_length=255, pattern=_NO_CONTROL_CHARS)]
TextFilter = Annotated[str | None, QueryParameter(max_length=255, pattern=_NO_CONTROL_CHARS)]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int  # rows matching the filters, before limit and offset
    limit: int
    offset: int


class PageParams(msgspec.Struct, frozen=True):
    limit: int = DEFAULT_LIMIT
    offset: int = 0

    def of(self, items: list[T], total: int) -> Page[T]:
        return Page(items=items, total=total, limit=self.limit, offset=self.offset)


def page_params(
    limit: Annotated[
        int, QueryParameter(ge=1, le=MAX_LIMIT, description=f"Rows per page, 1 to {MAX_LIMIT}")
    ] = DEFAULT_LIMIT,
    offset: Annotated[
        int, QueryParameter(ge=0, le=MAX_OFFSET, description=f"Rows to skip, 0 to {MAX_OFFSET}")
    ] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PAGINATION = {"page": Provide(page_params, sync_to_thread=False)}


def fetch_page(session: Session, stmt: Select[R], page: PageParams) -> tuple[Sequence[R], int]:
    """One page of a single-entity select, and how many rows match in all.

    The select must have a total ORDER BY (e.g. on a unique code), or pages may overlap.
    """
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.scalars(stmt.limit(page.limit).offset(page.offset)).all()
    return rows, total or 0


async def require_known(
    conn: AsyncConnection | AsyncSession, code: InstrumentedAttribute[str], value: str | None, name: str
) -> None:
    """A list filter naming a shop or warehouse that does not exist is a typo, not an empty list."""
    if not value:
        return
    if (await conn.execute(select(code).where(code == value).limit(1))).first() is None:
        raise InvalidInput(
            f"unknown {name} {value!r}", [FieldError(name, f"no {name} has the code {value!r}")]
        )


async def count(conn: Any, stmt: Any) -> int:
    """How many rows a list query finds (for the page's `total`)."""
    return int(
        (await conn.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one()
    )

"""A list's `limit` is checked against its bounds before it reaches the database: a number past
them is a 422 naming `limit`, never a 500 (SQLite cannot bind an integer past 64 bits; found by
tests/edge/test_api_fuzz.py on the cash ledger). Both databases."""

from __future__ import annotations

from typing import Any

import pytest

HUGE = 10**30  # past SQLite's 64-bit INTEGER and PostgreSQL's bigint


@pytest.mark.parametrize(
    ("path", "most"),
    [
        ("/api/v1/cod/cash/test-rider/entries", 1000),
        ("/api/v1/fulfilment/queue", 1000),
        ("/api/v1/waves", 500),
    ],
)
def test_a_limit_past_its_bounds_is_refused_by_name(admin: Any, path: str, most: int) -> None:
    assert admin.get(path, params={"limit": most}).status_code == 200
    for limit in (0, most + 1, HUGE):
        refused = admin.get(path, params={"limit": limit})
        assert refused.status_code in (400, 422), refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "limit" in refused.text

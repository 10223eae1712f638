"""The one check of a Problem Details answer (RFC 9457), as every 4xx of Bodega must be."""

from __future__ import annotations

from typing import Any


def problem(response: Any, status: int | None = None) -> dict[str, Any]:
    """The answer's Problem Details body, after checking its status (when given), its content type
    and that its `status` member agrees with the HTTP status."""
    if status is not None:
        assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == response.status_code, body
    return body

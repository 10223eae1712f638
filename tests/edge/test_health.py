from typing import Any


def test_health_and_ready(client: Any) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    response = client.get("/ready")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready"
    assert response.headers["x-request-id"]


def test_unknown_route_is_problem_details(client: Any) -> None:
    response = client.get("/api/v1/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404

"""Schemathesis over the whole API, against a real `bodega serve`: zero server errors and zero
undocumented responses (status codes and content types not in the OpenAPI document).

Every operation gets schema-valid and schema-invalid requests, as an admin (who passes every
role guard, so the handlers themselves are reached). Bounded here; BODEGA_SOAK=1 (`make soak`)
generates many more examples per operation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from server.bench.harness import running_server
from tests.conftest import auth, run
from tests.kit.world import seed_world

EXAMPLES = 200 if os.environ.get("BODEGA_SOAK") else 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance]
# Logging out would revoke the token every other call uses; it is covered in tests/test_auth.py.
SKIPPED = {("POST", "/api/v1/auth/logout")}


@pytest.fixture
def live(database_url: str, tokens: dict[str, str]) -> Iterator[tuple[str, str]]:
    run(seed_world(database_url, {("CASE-BLK", "VAL"): 10}))
    with running_server(database_url) as server:
        yield server.url, tokens["admin"]


def _failures(url: str, token: str, operation: Any, mode: GenerationMode) -> list[str]:
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # report what was found; shrinking costs minutes
        suppress_health_check=list(HealthCheck),
    )
    def call(case: Any) -> None:
        response = case.call(base_url=url, headers=auth(token), timeout=30)
        try:
            case.validate_response(response, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as failed:  # note the kind; every operation still runs
            kinds = failed.exceptions if isinstance(failed, BaseExceptionGroup) else [failed]
            for kind in kinds:
                found.append(f"{operation.label} [{mode}] {response.status_code}: {type(kind).__name__}")

    call()
    return found


def test_the_api_answers_only_what_it_documents(live: tuple[str, str]) -> None:
    url, token = live
    schema = schemathesis.openapi.from_url(f"{url}/schema/openapi.json")
    problems: set[str] = set()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, "the document lost its operations"
    for operation in operations:
        if (operation.method.upper(), operation.path) in SKIPPED:
            continue
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            problems.update(_failures(url, token, operation, mode))
    assert not problems, f"{len(problems)} kinds of failure:\n" + "\n".join(sorted(problems))

"""The KPI and report tests write back-dated facts straight into the ledgers: the app's own job
worker would roll up those days before the facts are in. The tests run the jobs themselves."""

import pytest


@pytest.fixture(autouse=True)
def _no_app_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BODEGA_JOBS_WORKER", "0")

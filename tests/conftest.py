"""Every test's layer is its directory: unit, application, api, replication, e2e (a marker of that name each, so
`-m unit` and `make test-fast` select by layer). Fixtures: every application and API test runs on SQLite and on
PostgreSQL (`store`; its PostgreSQL runs are marked `postgres`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crm.bootstrap import open_hq, open_province, rest_api
from hq.application import HqApplication
from province.application import ProvinceApplication
from shared.settings import Settings
from tests.support.auth import STAFF, seat_test_managers
from tests.support.stores import node_settings

LAYERS = ("unit", "application", "api", "replication", "e2e")
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        layer = item.path.resolve().relative_to(HERE).parts[0]
        if layer in LAYERS:
            item.add_marker(layer)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("store") == "postgres":
            item.add_marker("postgres")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def settings(store: str, tmp_path: Path) -> Iterator[Settings]:
    with node_settings(store, tmp_path) as s:
        yield s


@pytest.fixture
def province(settings: Settings) -> Iterator[ProvinceApplication]:
    app = open_province(settings)
    seat_test_managers(app)
    yield app
    app.close()


@pytest.fixture
def client(province: ProvinceApplication) -> Iterator[TestClient]:
    with TestClient(rest_api(province), headers=STAFF) as c:
        yield c


@pytest.fixture
def hq(store: str, tmp_path: Path) -> Iterator[HqApplication]:
    """HQ's application alone on its store (no runtime, no API)."""
    with node_settings(store, tmp_path, "HQ", tier="hq") as settings:
        app = open_hq(settings)
        yield app
        app.close()

"""Fixtures: every application and API test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crm.bootstrap import api_alone, open_hq, open_province, rest_api
from hq.application import HqApplication
from province.application import ProvinceApplication
from shared.settings import Settings
from tests.auth import seat_test_managers, staff
from tests.stores import node_settings

STAFF = staff()  # GD's province administrator zhang.san, at the business hall


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


def event_count(app: ProvinceApplication) -> int:
    """How many events the node has recorded: a rejected command must leave this unchanged."""
    return app.head_position()


@contextmanager
def hq_alone(store: str, tmp_path: Path, **overrides: object) -> Iterator[tuple[HqApplication, TestClient]]:
    """HQ on its own store, following nobody: the application and a client of its API (no token set)."""
    with node_settings(store, tmp_path / "hq", "HQ", tier="hq", **overrides) as settings:
        hq = open_hq(settings)
        try:
            with TestClient(api_alone(hq)) as client:
                yield hq, client
        finally:
            hq.close()


def personal_reads(app: ProvinceApplication | HqApplication, after: int) -> list[tuple[str, list[str], str]]:
    """The personal-data reads recorded after this position: (resource, whose data, by whom)."""
    notifications = app.recorder.select_notifications(start=after + 1, limit=10_000)
    reads = [
        app.mapper.to_domain_event(n) for n in notifications if n.topic.endswith("PersonalDataRead.Recorded")
    ]
    return [(read.resource, read.subjects, read.by["actor"]) for read in reads]

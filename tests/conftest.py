"""Fixtures: every application and API test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hq.api.app import create_app as create_hq_app
from hq.application import HqApplication
from province.api.app import create_app
from province.application import ProvinceApplication
from replication.node import NodeRuntime
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
    app = ProvinceApplication(settings)
    seat_test_managers(app)
    yield app
    app.close()


@pytest.fixture
def client(province: ProvinceApplication) -> Iterator[TestClient]:
    with TestClient(create_app(province), headers=STAFF) as c:
        yield c


def event_count(app: ProvinceApplication) -> int:
    """How many events the node has recorded: a rejected command must leave this unchanged."""
    return app.head_position()


@contextmanager
def hq_alone(store: str, tmp_path: Path, **overrides: object) -> Iterator[tuple[HqApplication, TestClient]]:
    """HQ on its own store, following nobody: the application and a client of its API (no token set)."""
    with node_settings(store, tmp_path / "hq", "HQ", tier="hq", **overrides) as settings:
        hq = HqApplication(settings)
        try:
            api = create_hq_app(hq)
            api.state.runtime = NodeRuntime(hq, follow=False)
            with TestClient(api) as client:
                yield hq, client
        finally:
            hq.close()


def personal_reads(app: ProvinceApplication | HqApplication, after: int) -> list[tuple[str, list[str], str]]:
    """The personal-data reads recorded after this position: (resource, whose data, by whom)."""
    notifications = app.recorder.select_notifications(start=after + 1, limit=10_000)
    reads = [
        app.mapper.to_domain_event(n) for n in notifications if n.topic.endswith("PersonalDataRead.Recorded")
    ]
    return [(read.resource, read.subjects, read.by.actor) for read in reads]

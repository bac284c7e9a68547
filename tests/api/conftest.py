"""Fixtures of the REST tests (GD's node behind a test client: `client`, from tests/conftest.py)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.factories import individual

CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


@pytest.fixture
def customer(client: TestClient) -> dict[str, Any]:
    """An active customer whose customer manager is M7 (the completion notice goes there)."""
    body = individual(customerManager={"id": "M7", "name": "陈经理"})
    created = client.post(CUSTOMERS, json=body).json()
    client.patch(created["href"], json={"status": "active"})
    return created

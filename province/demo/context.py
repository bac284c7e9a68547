"""What one part of the demo data hands the next: the documents it created."""

from __future__ import annotations

from typing import TypedDict

from shared.domain.json_types import JSONObject


class DemoContext(TypedDict, total=False):
    customers: list[JSONObject]  # individuals, as registered
    groups: list[JSONObject]
    orders: list[JSONObject]

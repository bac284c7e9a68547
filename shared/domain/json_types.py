"""JSON-like values: what events carry and read-model documents hold (defined once, used across shared/)."""

from __future__ import annotations

from typing import TypeAlias

JSON: TypeAlias = str | int | float | bool | list["JSON"] | dict[str, "JSON"] | None
JSONObject: TypeAlias = dict[str, JSON]

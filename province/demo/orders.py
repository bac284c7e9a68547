"""Demo orders (to be built)."""

from __future__ import annotations

from typing import Any


def load(app: Any, context: dict[str, Any], by: dict[str, str]) -> dict[str, int]:
    return {}

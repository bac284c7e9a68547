"""Query parameters that name a province or a month, alike on every operation of both tiers: the OpenAPI
documents their form, and a value that does not name a real province or month is a 400 naming the parameter
and saying what it expects (never an empty list, never a regular expression)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Path, Query
from pydantic.json_schema import JsonDict

from shared.domain.billing import MONTH_FORM, MONTH_PATTERN, parse_cycle
from shared.domain.errors import InvalidValue
from shared.domain.values import HQ_CODE, PROVINCES

PROVINCE = r"^[A-Za-z]{2}$"
CODES = ", ".join(sorted(PROVINCES))
# Documented, and checked by the dependencies below rather than by pydantic, whose refusal quotes the pattern.
MONTH_SCHEMA: JsonDict = {"pattern": MONTH_PATTERN, "examples": ["2026-12"]}
PROVINCE_SCHEMA = {"pattern": PROVINCE, "examples": ["GD"]}


def month_query(
    description: str = f"A month, {MONTH_FORM}.", *, alias: str = "month", required: bool = False
) -> Any:
    """`month: str | None = month_query()`: a `YYYY-MM` filter (required: the operation needs one)."""

    default = ... if required else None

    def month(
        value: str | None = Query(
            default, alias=alias, description=description, json_schema_extra=MONTH_SCHEMA
        ),
    ) -> str | None:
        return None if value is None else parse_cycle(value, alias)

    return Depends(month)


def month_path(description: str = f"The month, {MONTH_FORM}.") -> Any:
    """`month: str = month_path()`: a path segment naming a month."""

    def month(
        value: str = Path(alias="month", description=description, json_schema_extra=MONTH_SCHEMA),
    ) -> str:
        return parse_cycle(value, "month")

    return Depends(month)


def province_query(description: str, *, alias: str = "province", hq: bool = False) -> Any:
    """`province: str | None = province_query(…)`: a province code (any case; answered upper-case); `hq`: HQ's
    own code is one too (staff who act at HQ)."""
    known = frozenset(PROVINCES | {HQ_CODE} if hq else PROVINCES)
    expected = f"one of {CODES}{', or HQ' if hq else ''}"

    def province(
        value: str | None = Query(
            None, alias=alias, description=f"{description} ({expected})", json_schema_extra=PROVINCE_SCHEMA
        ),
    ) -> str | None:
        if value is None:
            return None
        if value.upper() not in known:
            raise InvalidValue(f"unknown province code '{value[:8]}'; expected {expected}", field=alias)
        return value.upper()

    return Depends(province)

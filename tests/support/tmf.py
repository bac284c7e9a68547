"""Validate our JSON against the official TMF Open API v4 definitions in ../shared/tmf/."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

TMF_DIR = Path(__file__).resolve().parents[1] / "tmf_specs"  # copies of ../shared/tmf (Apache 2.0)

SPECS = {
    "TMF620": "TMF620-ProductCatalog-v4.swagger.json",
    "TMF621": "TMF621-TroubleTicket-v4.0.0.swagger.json",
    "TMF622": "TMF622-ProductOrder-v4.0.0.swagger.json",
    "TMF629": "TMF629-Customer-v4.0.0.swagger.json",
    "TMF641": "TMF641-ServiceOrdering-v4.1.0.swagger.json",
    "TMF666": "TMF666-Account-v4.swagger.json",
    "TMF678": "TMF678-CustomerBill-v4.0.0.swagger.json",
}


@lru_cache
def _spec(api: str) -> dict[str, Any]:
    return json.loads((TMF_DIR / SPECS[api]).read_text())


def assert_tmf_valid(document: dict[str, Any], api: str, definition: str) -> None:
    """Raise if `document` is not a valid instance of `definition` in the given TMF API (e.g. TMF629, Customer).

    Our extensions are extra camelCase properties, which the v4 definitions allow.
    """
    spec = _spec(api)
    schema = {"$ref": f"#/definitions/{definition}", "definitions": spec["definitions"]}
    jsonschema.validate(
        document, schema, cls=jsonschema.Draft4Validator, format_checker=jsonschema.FormatChecker()
    )

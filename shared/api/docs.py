"""A node's FastAPI app with `/docs` (Swagger UI) and `/redoc` served from the node itself: the scripts, styles
and icon come from the `fastapi-offline` package (its copies of swagger-ui-dist and ReDoc), never from a CDN,
so the pages work on an intranet."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

ASSETS = "/docs-assets"
# Swagger UI would ask validator.swagger.io about our spec and show its badge: a request off the intranet.
SWAGGER_UI = {"validatorUrl": None}


def node_app(**options: Any) -> FastAPI:
    return FastAPIOffline(static_url=ASSETS, swagger_ui_parameters=SWAGGER_UI, **options)

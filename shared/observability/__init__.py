"""What operators watch: Prometheus metrics at GET /metrics, request ids, JSON logs."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.domain.errors import Unauthenticated
from shared.observability.metrics import NodeMetrics
from shared.observability.middleware import ObserveRequests

if TYPE_CHECKING:
    from shared.application import CrmApplication


def install_metrics(api: FastAPI, application: CrmApplication) -> None:
    """Request ids, request metrics and GET /metrics on a node's app; followers are read from
    `api.state.runtime` at each scrape (set once the node runs them)."""
    metrics = NodeMetrics(application, lambda: getattr(api.state, "runtime", None))
    api.state.metrics = metrics
    api.add_middleware(ObserveRequests, metrics=metrics)
    token = application.settings.metrics_token

    @api.get("/metrics", include_in_schema=False)
    def scrape(request: Request) -> Response:
        if token and not secrets.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}"):
            raise Unauthenticated(
                "GET /metrics needs the metrics token (CRM_METRICS_TOKEN)", field="Authorization"
            )
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


def count_store_error(request: Request) -> None:
    """For an error handler that answers a store failure itself (so it never reaches the middleware)."""
    metrics = getattr(request.app.state, "metrics", None)
    if metrics is not None:
        metrics.store_errors.inc()

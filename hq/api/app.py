"""The HQ node's FastAPI app: the national view, the catalog master, replication status and audit."""

from __future__ import annotations

from fastapi import FastAPI

from hq.application import HqApplication
from hq.catalog import routes as catalog
from hq.mirror import routes as mirror_routes
from hq.registry import routes as registry
from hq.routing import routes as routing
from hq.settlement import routes as settlement
from hq.staff import routes as staff
from hq.statistics import routes as statistics
from shared.api import health, replication
from shared.api.audit_routes import audit_router
from shared.api.auth_routes import auth, jwks_router, unlock_router
from shared.api.common import MaskedJSONResponse
from shared.api.contract import install_contract
from shared.api.docs import node_app
from shared.api.errors import install_error_handlers
from shared.api.limits import install_body_limit
from shared.api.security import document_roles, require_sign_in_first
from shared.auth.trust import validator_for
from shared.observability import install_metrics


def create_app(application: HqApplication) -> FastAPI:
    api = node_app(
        title="CRM HQ node",
        version="0.1.0",
        description="National view: customer registry, catalog master, replication from provinces.",
        default_response_class=MaskedJSONResponse,
    )
    api.state.crm = application
    install_body_limit(api, application.settings.http_max_body_bytes)
    install_error_handlers(api)
    install_metrics(api, application)
    require_sign_in_first(api)
    install_contract(api)
    api.state.tokens = validator_for(application.settings, application.staff_access.keyring)
    for router in (
        auth,
        unlock_router,
        jwks_router,
        staff.router,
        registry.router,
        catalog.router,
        routing.router,
        settlement.router,
        statistics.router,
        replication.router,
        mirror_routes.router,
        health.router,
    ):
        api.include_router(router)
    api.include_router(audit_router(application.audited_resources))
    document_roles(api, "hq", application.settings.token_url())
    return api

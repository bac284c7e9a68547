"""The province node's FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from province.api.routes import billing, catalog, customer, order, orphans, settlement, statistics, ticket
from province.application import ProvinceApplication
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


def create_app(application: ProvinceApplication) -> FastAPI:
    settings = application.settings
    api = node_app(
        title=f"CRM province node {settings.node_code}",
        description="Provincial CRM desk: TM Forum Open API v4 resources backed by an event store.",
        version="0.1.0",
        default_response_class=MaskedJSONResponse,
    )
    api.state.crm = application
    install_body_limit(api, application.settings.http_max_body_bytes)
    install_error_handlers(api)
    install_metrics(api, application)
    require_sign_in_first(api)
    install_contract(api)
    api.state.tokens = validator_for(application.settings, application.staff_access.keyring)
    for module in (customer, catalog, order, billing, ticket, statistics, settlement):
        api.include_router(module.router)
    for router in (auth, unlock_router, jwks_router, replication.router, orphans.router):
        api.include_router(router)
    api.include_router(audit_router(application.audited_resources))
    api.include_router(health.router)
    document_roles(api, settings.tier, settings.token_url())
    return api

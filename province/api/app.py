"""The province node's FastAPI app: middleware, and each area's router."""

from __future__ import annotations

from fastapi import FastAPI

from province.application import ProvinceApplication
from province.billing import routes as billing
from province.catalog import routes as catalog
from province.customers import routes as customers
from province.orders import routes as orders
from province.orphans import routes as orphans
from province.settlement import routes as settlement
from province.statistics import routes as statistics
from province.tickets import routes as tickets
from province.work_orders import routes as work_orders
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
    for area in (customers, catalog, orders, work_orders, billing, tickets, statistics, settlement):
        api.include_router(area.router)
    for router in (auth, unlock_router, jwks_router, replication.router, orphans.router):
        api.include_router(router)
    api.include_router(audit_router(application.audited_resources))
    api.include_router(health.router)
    document_roles(api, settings.tier, settings.token_url())
    return api

"""The HQ node's FastAPI app: the national view, the catalog master, replication status and audit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import JSONResponse

from hq.api import auth_routes, catalog_routes, order_desk_routes, settlement_routes
from hq.application import HqApplication
from replication import api as replication_api
from shared.api.audit_routes import audit_router
from shared.api import health
from shared.api.common import MaskedJSONResponse, Paging, crm_app, page_response
from shared.api.errors import install_error_handlers
from shared.observability import install_metrics
from shared.api.security import document_roles, validator_for
from shared.domain.customer import CustomerKind
from shared.domain.values import Grade
from shared.api.security import acting, reading, shown_in_full
from shared.auth.roles import Permission as P

customers = APIRouter(prefix="/tmf-api/customerManagement/v4", tags=["national customer"])


@customers.get("/customer", dependencies=[reading(P.READ_NATIONAL)], summary="National customers: high-end individuals (1A–3A) and groups, deduplicated")
def list_national(
    paging: Paging = Depends(),
    grade: Grade | None = Query(None),
    industry: str | None = Query(None, max_length=128),
    province: str | None = Query(None, max_length=2, description="A province the customer is registered in."),
    kind: CustomerKind | None = Query(None, alias="customerKind"),
    certificate_number: str | None = Query(None, alias="certificateNumber", max_length=32,
                                           description="Exactly this certificate number: any customer registered "
                                           "anywhere, national or not."),
    phone_number: str | None = Query(None, alias="phoneNumber", max_length=20,
                                     description="Exactly this phone number (a contact's or a group member's): "
                                     "any customer, national or not."),
    name: str | None = Query(None, max_length=128, description="Part of the name."),
    app: Any = Depends(crm_app),
) -> JSONResponse:
    return page_response(app.list_national_customers(
        grade=grade.value if grade else None, industry=industry, province=province.upper() if province else None,
        kind=kind.value if kind else None, certificate_number=certificate_number, phone_number=phone_number,
        name=name, offset=paging.offset, limit=paging.limit))


@customers.get("/customer/{national_id}", summary="One national customer with every province's part")
def get_national(
    national_id: str,
    unmask: bool = Query(False, description="Certificate and phone numbers in full (roles that may see personal "
                                            "data); the read is recorded."),
    app: Any = Depends(crm_app),
    by: dict[str, str] = acting(P.READ_NATIONAL),
) -> Any:
    if not unmask:
        return app.get_national_customer(national_id)
    return shown_in_full(app, by, "nationalCustomer", lambda: app.get_national_customer(national_id, unmask=True),
                         lambda doc: [doc["id"]])


statistics = APIRouter(prefix="/crm/v1", tags=["national statistics"])


@statistics.get("/statistics", dependencies=[reading(P.READ_NATIONAL)], summary="Per province and month: customers by grade, revenue, reported totals")
def national_statistics(
    month: str | None = Query(None, pattern=r"^\d{4}-\d{2}$"),
    province: str | None = Query(None, max_length=2),
    app: Any = Depends(crm_app),
) -> list[dict[str, Any]]:
    return app.national_statistics(month, province.upper() if province else None)


def create_app(application: HqApplication) -> FastAPI:
    api = FastAPI(title="CRM HQ node", version="0.1.0",
                  description="National view: customer registry, catalog master, replication from provinces.",
                  default_response_class=MaskedJSONResponse)
    api.state.crm = application
    install_error_handlers(api)
    install_metrics(api, application)
    api.state.tokens = validator_for(application.settings)
    for router in (auth_routes.auth, auth_routes.staff, customers, catalog_routes.router, order_desk_routes.router, settlement_routes.router, statistics,
                   replication_api.router, replication_api.audit_router, health.router):
        api.include_router(router)
    api.include_router(audit_router(application.audited_resources))
    document_roles(api, "hq", application.settings.token_url())

    return api

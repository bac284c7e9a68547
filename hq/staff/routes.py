"""HQ's staff directory (R-29): enrol, change, disable; signing in is on every node (shared/api/auth_routes.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from hq.api.deps import HqApp
from hq.staff.schemas import StaffCreate, StaffMember, StaffUpdate
from shared.api.common import PagingQuery, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import province_query
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.domain.operator import Operator

router = APIRouter(prefix="/crm/v1", tags=["staff directory"])


@router.get(
    "/staff",
    dependencies=[reading(P.MANAGE_STAFF)],
    response_model=list[StaffMember],
    summary="The staff directory",
)
def list_staff(
    app: HqApp,
    fields: Annotated[Selection, selectable(StaffMember)],
    paging: PagingQuery,
    province: str | None = province_query("Staff of this province (HQ: who act at HQ).", hq=True),
) -> JSONResponse:
    return page_response(app.staff.list_staff(province, paging.offset, paging.limit), fields=fields)


@router.post(
    "/staff",
    status_code=201,
    response_model=StaffMember,
    summary="Enrol a staff member (password hashed with Argon2)",
)
def enrol(body: StaffCreate, app: HqApp, by: Operator = acting(P.MANAGE_STAFF)) -> Response:
    return one(app.staff.enrol_staff(body, by), status=201)


@router.patch(
    "/staff/{username}",
    response_model=StaffMember,
    summary="Disable or enable, change role or province, set a new password",
)
def change(username: str, body: StaffUpdate, app: HqApp, by: Operator = acting(P.MANAGE_STAFF)) -> Response:
    return one(app.staff.change_staff(username, body, by))

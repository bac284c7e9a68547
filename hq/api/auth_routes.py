"""HQ's staff directory (R-29): enrol, change, disable; signing in is on every node (shared/api/auth_routes.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from pydantic import ConfigDict, Field

from hq.api.deps import HqApp
from hq.api.models import StaffMember
from shared.api.common import PagingQuery, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import province_query
from shared.api.models import RequestBody
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.auth.roles import Role
from shared.domain.operator import Operator

staff = APIRouter(prefix="/crm/v1", tags=["staff directory"])


class StaffCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "zhang.san",
                    "name": "张三",
                    "role": "clerk",
                    "province": "GD",
                    "password": "a long passphrase",
                }
            ]
        }
    )
    username: str = Field(min_length=2, max_length=64)
    name: str | None = Field(None, max_length=128, description="Display name, full UTF-8.")
    role: Role
    province: str | None = Field(None, description="Home province of province staff; others act at HQ.")
    password: str = Field(min_length=10, max_length=256)


class StaffUpdate(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": False}]})
    role: Role | None = None
    province: str | None = None
    enabled: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=256)


@staff.get(
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
    return page_response(app.list_staff(province, paging.offset, paging.limit), fields=fields)


@staff.post(
    "/staff",
    status_code=201,
    response_model=StaffMember,
    summary="Enrol a staff member (password hashed with Argon2)",
)
def enrol(body: StaffCreate, app: HqApp, by: Operator = acting(P.MANAGE_STAFF)) -> Response:
    return one(app.enrol_staff(body.model_dump(exclude_none=True, mode="json"), by), status=201)


@staff.patch(
    "/staff/{username}",
    response_model=StaffMember,
    summary="Disable or enable, change role or province, set a new password",
)
def change(username: str, body: StaffUpdate, app: HqApp, by: Operator = acting(P.MANAGE_STAFF)) -> Response:
    return one(app.change_staff(username, body.as_command(), by))

"""Signing in (OAuth2 password and refresh grants) and HQ's staff directory (R-29)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from hq.api.deps import HqApp
from shared.api.common import Paging, page_response
from shared.api.security import acting, reading
from shared.auth.roles import Permission as P
from shared.auth.roles import Role
from shared.domain.errors import InvalidValue

auth = APIRouter(tags=["sign-in"])
staff = APIRouter(prefix="/crm/v1", tags=["staff directory"])


class TokenReply(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    role: Role
    province: str


class StaffCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"username": "zhang.san", "name": "张三", "role": "clerk", "province": "GD", "password": "a long passphrase"}]})
    username: str = Field(min_length=2, max_length=64)
    name: str | None = Field(None, max_length=128, description="Display name, full UTF-8.")
    role: Role
    province: str | None = Field(None, description="Home province of province staff; others act at HQ.")
    password: str = Field(min_length=10, max_length=256)


class StaffUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"enabled": False}]})
    role: Role | None = None
    province: str | None = None
    enabled: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=256)


@auth.post("/auth/token", summary="Sign in: user name and password (or a refresh token) for a bearer token",
           response_model=TokenReply, responses={401: {"description": "Unknown user, wrong password, disabled"},
                                                  429: {"description": "Too many failed sign-ins; see Retry-After"}})
def token(
    request: Request,
    app: HqApp,
    grant_type: Annotated[str, Form(pattern="^(password|refresh_token)$")] = "password",
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=4096)] = None,
) -> dict[str, Any]:
    if grant_type == "refresh_token":
        return app.refresh(refresh_token)
    if not username or not password:
        raise InvalidValue("user name and password are required", field="username" if not username else "password")
    client = request.client.host if request.client else "?"
    return app.sign_in(username, password, client)


@staff.get("/staff", dependencies=[reading(P.MANAGE_STAFF)], summary="The staff directory")
def list_staff(app: HqApp, paging: Paging = Depends(),
               province: str | None = Query(None, min_length=2, max_length=2)) -> JSONResponse:
    return page_response(app.list_staff(province.upper() if province else None, paging.offset, paging.limit))


@staff.post("/staff", status_code=201, summary="Enrol a staff member (password hashed with Argon2)")
def enrol(body: StaffCreate, app: HqApp, by: dict[str, str] = acting(P.MANAGE_STAFF)) -> dict[str, Any]:
    return app.enrol_staff(body.model_dump(exclude_none=True, mode="json"), by)


@staff.patch("/staff/{username}", summary="Disable or enable, change role or province, set a new password")
def change(username: str, body: StaffUpdate, app: HqApp, by: dict[str, str] = acting(P.MANAGE_STAFF)) -> dict[str, Any]:
    return app.change_staff(username, body.model_dump(exclude_unset=True, mode="json"), by)

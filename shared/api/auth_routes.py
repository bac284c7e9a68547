"""Signing in on every node (OAuth2 password and refresh grants), lifting a sign-in wait, and the node's JWKS.

HQ signs in anyone its directory holds; a province its own staff, from the verifiers HQ sent it, so that its staff
sign in while HQ is away (R-1)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel

from shared.api.common import CrmApp, one
from shared.api.contract import Selection, error_responses, selectable
from shared.api.errors import ApiError
from shared.api.security import acting
from shared.auth.roles import Permission as P
from shared.auth.roles import Role
from shared.domain.errors import InvalidValue
from shared.domain.operator import Operator

auth = APIRouter(tags=["sign-in"])
unlock_router = APIRouter(prefix="/crm/v1", tags=["staff directory"])
jwks_router = APIRouter(tags=["sign-in"])


class TokenReply(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str
    role: Role
    province: str


class Unlocked(BaseModel):
    username: str
    node: str
    wasLocked: bool


class PublishedKey(BaseModel):
    kid: str
    kty: str
    crv: str
    x: str
    use: str
    alg: str
    iss: str
    province: str | None = None


class KeySet(BaseModel):
    keys: list[PublishedKey]


@auth.post(
    "/auth/token",
    summary="Sign in: user name and password (or a refresh token) for a bearer token",
    description="HQ signs in every member of its directory; a province node its own staff (also while HQ "
    "is away). Five failures in five minutes make a user name wait (429 with Retry-After) until the window "
    "passes or a system administrator unlocks it; each refresh token works once.",
    response_model=TokenReply,
    responses=error_responses(401, 429, 503),
)
def token(
    request: Request,
    app: CrmApp,
    grant_type: Annotated[Literal["password", "refresh_token"], Form()] = "password",
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=256)] = None,
    refresh_token: Annotated[str | None, Form(max_length=4096)] = None,
) -> dict[str, object]:  # a TokenGrant as its fields
    if not app.staff_access.signs():
        raise ApiError(
            503,
            "signingKeyDistrusted",
            "HQ no longer trusts this province's signing key: nobody signs in "
            "here until the operator makes a new one (remove its key file and start the node again)",
        )
    desk = app.staff_access.desk()
    if grant_type == "refresh_token":
        return asdict(desk.refresh(refresh_token or ""))
    if not username or not password:
        raise InvalidValue(
            "user name and password are required", field="username" if not username else "password"
        )
    client = request.client.host if request.client else "?"
    return asdict(desk.sign_in(username, password, client))


@unlock_router.post(
    "/staff/{username}/unlock",
    response_model=Unlocked,
    summary="Lift a user name's sign-in wait on this node (recorded: who, when)",
)
def unlock(username: str, app: CrmApp, by: Operator = acting(P.MANAGE_STAFF)) -> Response:
    return one(app.staff_access.unlock(username, by))


@jwks_router.get(
    "/.well-known/jwks.json",
    response_model=KeySet,
    summary="The public keys this node trusts to sign staff tokens, each with its issuer and the "
    "province it speaks for (none: HQ, for every province)",
)
def jwks(app: CrmApp, fields: Annotated[Selection, selectable(KeySet)]) -> Response:
    return one({"keys": app.staff_access.published_keys()}, fields)

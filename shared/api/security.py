"""Bearer tokens on every request and the permission each operation needs (R-29).

Each route asks for one permission with `acting(P.X)` (a change: it gets the operator every event records) or
`reading(P.X)`. The permission is the operation's OAuth2 scope in the OpenAPI, which also lists the roles that
hold it (from the one table in shared/auth/roles.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, Header, Request, Security, params
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from fastapi.security import OAuth2PasswordBearer, SecurityScopes

from shared.api.common import full
from shared.api.contract import ALL, Selection, document_errors
from shared.auth.roles import GRANTS, Permission, Role, acts_at, roles_with
from shared.auth.tokens import MACHINE, InvalidToken, Principal
from shared.domain.errors import Forbidden, Unauthenticated
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator

if TYPE_CHECKING:
    from shared.application import CrmApplication

SCHEME = "staffToken"
SAFE_METHODS = frozenset({"GET", "HEAD"})
oauth2 = OAuth2PasswordBearer(
    tokenUrl="/auth/token",
    scheme_name=SCHEME,
    auto_error=False,
    scopes={p.value: f"the {p.value} permission" for p in Permission},
    description="A staff token: `POST /auth/token` on the node (user name and password), or a machine token "
    "from `crm token issue`.",
)


def principal_of(request: Request, token: str | None) -> Principal:
    if not token:
        raise Unauthenticated("a bearer token is required (Authorization: Bearer …)", field="Authorization")
    try:
        principal = request.app.state.tokens.principal(token)
    except InvalidToken as error:
        raise Unauthenticated(f"the token is not valid: {error}", field="Authorization") from None
    refused = request.app.state.crm.staff_access.refusal(principal)
    if refused:
        raise Unauthenticated(refused, field="Authorization")
    return principal


def guard(
    request: Request,
    scopes: SecurityScopes,
    token: Annotated[str | None, Security(oauth2)],
    x_channel: Annotated[
        str | None,
        Header(
            description="businessHall, callCentre, web, agent, customerManager, "
            "system (R-25); default businessHall"
        ),
    ] = None,
) -> Operator:
    """The checked operator of a request: token valid, role holds the permission, role acts on this node."""
    checked = getattr(request.state, "operator", None)  # `who_asks_first` checked it before anything else
    if checked is not None:
        return checked
    return _operator(request, Permission(scopes.scopes[0]), token, x_channel)


def _operator(request: Request, permission: Permission, token: str | None, x_channel: str | None) -> Operator:
    principal = principal_of(request, token)
    settings = request.app.state.crm.settings
    if permission not in GRANTS[principal.role]:
        raise Forbidden(f"{_a(principal.role)} may not {permission.value}", field="Authorization")
    if not acts_at(principal.role, principal.province, settings.node_code, settings.tier):
        raise Forbidden(
            f"{_a(principal.role)} of {principal.province or 'HQ'} does not act on node {settings.node_code}",
            field="Authorization",
        )
    if (
        permission is Permission.MANAGE_STAFF
        and principal.kind == MACHINE
        and request.method not in SAFE_METHODS
    ):
        raise Forbidden(
            "a machine token may not change the staff directory: a system administrator signs in",
            field="Authorization",
        )
    return Operator.signed_in(
        actor=principal.subject,
        name=principal.name,
        role=principal.role.value,
        province=principal.province,
        channel=x_channel,
        machine=principal.kind == MACHINE,
    )


async def who_asks_first(request: Request) -> None:
    """Runs before every other check of a guarded operation: nobody learns which parameters, attributes or
    values an operation takes (its 400s name them) before their token and role are checked."""
    permission = _permission_of(request.scope.get("route"))
    if permission is not None:
        token = await oauth2(request)
        request.state.operator = _operator(request, permission, token, request.headers.get("x-channel"))


def require_sign_in_first(app: FastAPI) -> None:
    """Call before `install_contract` and before including routers."""
    app.router.dependencies.insert(0, Depends(who_asks_first))


_permissions: dict[int, Permission | None] = {}


def _permission_of(route: object) -> Permission | None:
    """The permission an operation's guard asks for, read from its dependency tree (None: unguarded)."""
    if not isinstance(route, APIRoute):
        return None
    if id(route) not in _permissions:
        _permissions[id(route)] = next(
            (
                Permission(d.own_oauth_scopes[0])
                for d in _dependants(route.dependant)
                if d.call is guard and d.own_oauth_scopes
            ),
            None,
        )
    return _permissions[id(route)]


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    for sub in dependant.dependencies:
        yield sub
        yield from _dependants(sub)


def acting(permission: Permission) -> Any:
    """`by: Operator = acting(P.WRITE_CUSTOMERS)`: the checked operator of a change."""
    return Security(guard, scopes=[permission.value])


def reading(permission: Permission) -> params.Security:
    """`dependencies=[reading(P.READ_CUSTOMERS)]` on a read."""
    return Security(guard, scopes=[permission.value])


def document_roles(app: FastAPI, tier: str, token_url: str) -> None:
    """Each operation of the OpenAPI names its permission (`x-permission`) and the roles holding it (`x-roles`)."""

    def openapi() -> JSONObject:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            for item in spec.get("paths", {}).values():
                for operation in item.values():
                    needs = [
                        s
                        for requirement in operation.get("security", [])
                        for s in requirement.get(SCHEME, [])
                    ]
                    if needs:
                        roles = roles_with(Permission(needs[0]), tier)
                        operation["x-permission"], operation["x-roles"] = needs[0], roles
                        operation["description"] = (
                            operation.get("description", "")
                            + f"\n\nRoles: {', '.join(roles) or 'none on this node'}."
                        )
            document_errors(spec)
            flows = spec.get("components", {}).get("securitySchemes", {}).get(SCHEME, {}).get("flows", {})
            flows.get("password", {})["tokenUrl"] = token_url
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def ensure_may_see_personal_data(by: Operator, field: str = "unmask") -> None:
    """Asking for certificate and phone numbers in full (`unmask=true`), or finding a customer by one, needs a
    role that may see them."""
    if Permission.SEE_PERSONAL_DATA not in GRANTS[Role(by.role)]:
        raise Forbidden(f"a {by.role} sees certificate and phone numbers masked only", field=field)


D = TypeVar("D")  # what a read in full fetches: one document or a page of them


def shown_in_full(
    app: CrmApplication,
    by: Operator,
    resource: str,
    fetch: Callable[[], D],
    subjects: Callable[[D], Sequence[object]],
    fields: Selection = ALL,
) -> JSONResponse:
    """Personal data in full for a role that may see it: fetched, the read recorded (PIPL), answered unmasked."""
    ensure_may_see_personal_data(by)
    document = fetch()
    seen = [str(subject) for subject in subjects(document)]  # ids: text already
    if seen:  # an empty page showed nobody's data
        app.record_personal_read(resource, seen, by)
    return full(fields.apply_all(document) if isinstance(document, list) else fields.apply(document))


def _a(role: Role) -> str:
    return f"{'an' if role.value[0] in 'aeiou' else 'a'} {role.value}"

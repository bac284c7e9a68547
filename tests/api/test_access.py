"""Who may do what (R-29): every operation × every role on a province and at HQ; broken tokens; an external
OpenID Connect issuer; a customer manager's own customers."""

from __future__ import annotations

import base64
import json
import re
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from crm.bootstrap import api_alone, open_province, rest_api
from shared.auth.roles import GRANTS, Permission, Role, acts_at
from shared.auth.tokens import TokenIssuer, create_issuer_keys, key_id
from tests.support.auth import AUDIENCE, ISSUER, LIFETIMES, keys_dir, signed_in, staff, token
from tests.support.factories import id_card, individual
from tests.support.nodes import event_count, hq_alone
from tests.support.stores import node_settings

DUMMY = "00000000-0000-0000-0000-000000000000"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"


# R-29 and the README's role table as permissions, written out by hand (never derived from shared/auth/roles.py,
# so a change there that the table does not say fails here). Province staff act on their own province's node only,
# HQ staff at HQ only, auditors and system administrators everywhere. The billing clerk's readCatalog and
# readSettlement and the settlement clerk's readNational are what the node grants beyond the README's table (see
# BEYOND_THE_TABLE below).
PROVINCE_READS = {
    "readCustomers",
    "readOrders",
    "readBilling",
    "readTickets",
    "readCatalog",
    "readSettlement",
    "readReplication",
}
EXPECTED = {  # role: (home in the token, acts on GD's node, acts at HQ, permissions)
    "clerk": (
        "GD",
        True,
        False,
        PROVINCE_READS | {"writeCustomers", "writeOrders", "workOrders", "writeTickets"},
    ),
    "customerManager": (
        "GD",
        True,
        False,
        PROVINCE_READS | {"writeCustomers", "writeOrders", "writeTickets", "seePersonalData"},
    ),
    "provinceAdmin": (
        "GD",
        True,
        False,
        PROVINCE_READS
        | {
            "writeCustomers",
            "writeOrders",
            "workOrders",
            "writeTickets",
            "runBilling",
            "takePayments",
            "publishStatistics",
            "seePersonalData",
        },
    ),
    "billingClerk": (
        "GD",
        True,
        False,
        {
            "readCustomers",
            "readOrders",
            "readBilling",
            "readCatalog",
            "readSettlement",
            "runBilling",
            "takePayments",
        },
    ),
    "hqAnalyst": ("HQ", False, True, {"readNational", "readCatalog", "readSettlement", "readReplication"}),
    "catalogAdmin": ("HQ", False, True, {"readCatalog", "manageCatalog", "readReplication"}),
    "settlementClerk": (
        "HQ",
        False,
        True,
        {"readNational", "readCatalog", "readSettlement", "manageSettlement", "readReplication"},
    ),
    "auditor": ("HQ", True, True, PROVINCE_READS | {"readNational", "audit", "seePersonalData"}),  # no change
    "systemAdmin": ("HQ", True, True, {"readReplication", "operate", "manageStaff"}),
}


def _home(role: Role, node: str) -> str:
    return EXPECTED[role.value][0]


def _allowed(role: Role, permission: Permission, tier: str) -> bool:
    _home, at_province, at_hq, permissions = EXPECTED[role.value]
    return permission.value in permissions and (at_hq if tier == "hq" else at_province)


def _operations(client) -> list[tuple[str, str, Permission]]:
    """Every guarded operation of a node's OpenAPI: (method, path with dummy ids, permission it needs)."""
    ops = []
    for path, item in client.get("/openapi.json").json()["paths"].items():
        for method, operation in item.items():
            if "x-permission" in operation:
                filled = re.sub(r"\{upstream\}", "GD", path)
                ops.append(
                    (
                        method.upper(),
                        re.sub(r"\{[a-z_]+\}", DUMMY, filled),
                        Permission(operation["x-permission"]),
                    )
                )
    return ops


def _matrix(client, node: str, tier: str) -> int:
    """Every guarded operation × every role, by the permission the node's OpenAPI names for the operation (the
    node's own link from operation to permission; AT_GD and AT_HQ check those links against the README)."""
    checked = 0
    for method, path, permission in _operations(client):
        body = {} if method in ("POST", "PATCH", "PUT") else None
        anonymous = client.request(method, path, json=body, headers={"Authorization": ""})
        assert anonymous.status_code == 401, (method, path)
        for role in Role:
            response = client.request(
                method, path, json=body, headers=staff(role.value, _home(role, node), "t")
            )
            changes_staff = permission is Permission.MANAGE_STAFF and method != "GET"
            if _allowed(role, permission, tier) and not changes_staff:  # machine tokens (scripts') never do
                assert response.status_code not in (401, 403), (role, method, path, response.text)
            else:
                assert response.status_code == 403, (role, method, path, response.status_code)
                assert response.json()["code"] == "forbidden"
            checked += 1
    return checked


# The README's role table and R-29, operation by operation: who may call it, written out by hand from the text
# (never from shared/auth/roles.py, the OpenAPI's x-permission or its x-roles), then compared with what the node
# answers. A role may act where its row in the README says (province staff on their own province's node, HQ staff
# at HQ, auditors and system administrators on every node). Rows marked "README silent" hold what the node does
# today, so that a change there is seen; changes to the staff directory are left out (machine tokens, which these
# tests use, never make them). The tokens name each role's home: GD for province staff, HQ for the others.
OFFERINGS = "/tmf-api/productCatalogManagement/v4/productOffering"
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
WORK_ORDERS = "/tmf-api/serviceOrdering/v4/serviceOrder"
ACCOUNTS = "/tmf-api/accountManagement/v4/billingAccount"
BILLS = "/tmf-api/customerBillManagement/v4/customerBill"
BILL_RUN = "/tmf-api/customerBillManagement/v4/customerBillOnDemand"
PAYMENTS = "/tmf-api/paymentManagement/v4/payment"
TICKETS = "/tmf-api/troubleTicket/v4/troubleTicket"
STATEMENTS = "/crm/v1/settlementStatement"
A_CERTIFICATE = id_card(990)  # a valid number nobody holds: the lookup is refused or finds nobody

AT_GD: dict[tuple[str, str], set[str]] = {
    # clerk: read the province, customers not by certificate or phone number; register and change customers,
    # accept and move orders, work orders, tickets. customerManager: read the province; change and order for the
    # customers they manage; personal data. provinceAdmin: everything in the province. billingClerk: read
    # customers, orders, billing; bill runs, send bills, take payments. auditor: read everything, change nothing.
    # systemAdmin: replication and the staff directory, no business data. HQ's roles: not in a province.
    ("GET", CUSTOMERS): {"clerk", "customerManager", "provinceAdmin", "billingClerk", "auditor"},
    ("POST", CUSTOMERS): {"clerk", "customerManager", "provinceAdmin"},  # customerManager: README silent
    ("PATCH", f"{CUSTOMERS}/{DUMMY}"): {"clerk", "customerManager", "provinceAdmin"},
    ("GET", f"{CUSTOMERS}?certificateNumber={A_CERTIFICATE}"): {
        "customerManager",
        "provinceAdmin",
        "auditor",
    },
    ("GET", f"{CUSTOMERS}/{DUMMY}?unmask=true"): {"customerManager", "provinceAdmin", "auditor"},
    ("GET", ORDERS): {"clerk", "customerManager", "provinceAdmin", "billingClerk", "auditor"},
    ("POST", ORDERS): {"clerk", "customerManager", "provinceAdmin"},
    ("PATCH", f"{ORDERS}/{DUMMY}"): {"clerk", "customerManager", "provinceAdmin"},
    ("GET", WORK_ORDERS): {"clerk", "customerManager", "provinceAdmin", "billingClerk", "auditor"},
    ("PATCH", f"{WORK_ORDERS}/{DUMMY}"): {"clerk", "provinceAdmin"},
    ("GET", TICKETS): {"clerk", "customerManager", "provinceAdmin", "auditor"},
    ("POST", TICKETS): {"clerk", "customerManager", "provinceAdmin"},  # customerManager: README silent
    ("GET", ACCOUNTS): {"clerk", "customerManager", "provinceAdmin", "billingClerk", "auditor"},
    ("GET", BILLS): {"clerk", "customerManager", "provinceAdmin", "billingClerk", "auditor"},
    ("POST", BILL_RUN): {"provinceAdmin", "billingClerk"},
    ("PATCH", f"{BILLS}/{DUMMY}"): {"provinceAdmin", "billingClerk"},  # sending a bill
    ("POST", PAYMENTS): {"provinceAdmin", "billingClerk"},
    ("POST", "/crm/v1/statisticsReport"): {"provinceAdmin"},  # monthly reports
    ("GET", OFFERINGS): {"clerk", "customerManager", "provinceAdmin", "auditor"},
    ("GET", STATEMENTS): {"clerk", "customerManager", "provinceAdmin", "auditor"},
    ("GET", f"/audit/customer/{DUMMY}/history"): {
        "clerk",
        "customerManager",
        "provinceAdmin",
        "billingClerk",
        "auditor",
    },  # a resource's history: whoever may read the resource
    ("GET", f"/audit/troubleTicket/{DUMMY}/history"): {
        "clerk",
        "customerManager",
        "provinceAdmin",
        "auditor",
    },
    ("GET", "/audit/operations"): {"auditor"},
    ("GET", "/audit/export"): {"auditor"},
    ("GET", "/audit/integrity"): {"auditor"},
    ("GET", "/replication/status"): {
        "auditor",
        "systemAdmin",
        "clerk",  # clerk, customerManager, provinceAdmin: README silent
        "customerManager",
        "provinceAdmin",
    },
    ("POST", "/replication/upstreams/HQ/resume"): {"systemAdmin"},  # auditors resume no follower
}

AT_HQ: dict[tuple[str, str], set[str]] = {
    # hqAnalyst: national view, statistics, order desk, settlement read-only. catalogAdmin: the catalog master.
    # settlementClerk: the settlement ledger, rules and statements. auditor: read everything, mirrors and their
    # read-only verification included, change nothing. systemAdmin: replication status and operations, the staff
    # directory. Province staff: not at HQ.
    ("GET", CUSTOMERS): {"hqAnalyst", "auditor"},  # the national view
    ("GET", "/crm/v1/statistics"): {"hqAnalyst", "auditor"},
    ("GET", ORDERS): {"hqAnalyst", "auditor"},  # the order desk
    ("GET", OFFERINGS): {
        "catalogAdmin",
        "auditor",
        "hqAnalyst",
        "settlementClerk",
    },  # the last two: README silent
    ("POST", OFFERINGS): {"catalogAdmin"},
    ("PATCH", f"{OFFERINGS}/PO-DC-2M"): {"catalogAdmin"},
    ("GET", "/crm/v1/settlementRule"): {"hqAnalyst", "settlementClerk", "auditor"},
    ("PUT", "/crm/v1/settlementRule/PO-DC-2M"): {"settlementClerk"},
    ("GET", STATEMENTS): {"hqAnalyst", "settlementClerk", "auditor"},
    ("POST", STATEMENTS): {"settlementClerk"},
    ("GET", "/crm/v1/staff"): {
        "systemAdmin"
    },  # the staff directory, read (machine tokens read, never change it)
    ("GET", "/replication/status"): {
        "systemAdmin",
        "auditor",
        "hqAnalyst",  # hqAnalyst, catalogAdmin, settlementClerk: README silent
        "catalogAdmin",
        "settlementClerk",
    },
    ("POST", "/replication/upstreams/GD/resume"): {"systemAdmin"},  # auditors resume no follower
    ("POST", "/replication/audit/GD"): {"systemAdmin"},  # and run no audit
    ("GET", "/replication/mirror/GD/verify"): {"auditor"},
    ("GET", "/replication/mirror/GD"): {"auditor"},
    ("GET", "/audit/operations"): {"auditor"},
}

# Where the node lets in a role the README's table does not name for the operation (reported with this change,
# not changed by it): the billing clerk reads the catalog and the settlement statements of the province, and the
# settlement clerk HQ's national view, statistics and order desk.
BEYOND_THE_TABLE: dict[tuple[str, str, str], set[str]] = {
    ("GD", "GET", OFFERINGS): {"billingClerk"},
    ("GD", "GET", STATEMENTS): {"billingClerk"},
    ("HQ", "GET", CUSTOMERS): {"settlementClerk"},
    ("HQ", "GET", "/crm/v1/statistics"): {"settlementClerk"},
    ("HQ", "GET", ORDERS): {"settlementClerk"},
}


def _check_the_table(client, node: str, table: dict[tuple[str, str], set[str]]) -> None:
    spec = client.get("/openapi.json").json()["paths"]
    for (method, path), allowed in table.items():
        answers_for = allowed | BEYOND_THE_TABLE.get((node, method, path), set())
        template = re.sub(rf"/({DUMMY}|GD|HQ|PO-DC-2M)(?=/|$)", "/{id}", path.split("?")[0])
        operations = {re.sub(r"\{[a-z_]+\}", "{id}", p): item for p, item in spec.items()}
        assert method.lower() in operations.get(template, {}), (node, method, path, "no such operation")
        body = {} if method in ("POST", "PATCH", "PUT") else None
        for role, (home, _, _, _) in EXPECTED.items():
            response = client.request(method, path, json=body, headers=staff(role, home, "t"))
            if role in answers_for:
                assert response.status_code not in (401, 403), (node, role, method, path, response.text)
            else:
                assert response.status_code == 403, (node, role, method, path, response.status_code)
                assert response.json()["code"] == "forbidden"
        if "?" not in path:  # what the OpenAPI tells callers is what the node does
            documented = operations[template][method.lower()]["x-roles"]
            assert set(documented) == answers_for, (node, method, path, documented)


def test_who_may_call_what_on_a_province_node_is_the_readmes_role_table(province):
    with TestClient(api_alone(province)) as client:
        _check_the_table(client, "GD", AT_GD)


def test_who_may_call_what_at_hq_is_the_readmes_role_table(store, tmp_path):
    with hq_alone(store, tmp_path) as (_, client):
        _check_the_table(client, "HQ", AT_HQ)


def test_every_operation_every_role_on_a_province_node(province):
    with TestClient(api_alone(province)) as client:
        before = event_count(province)
        assert _matrix(client, "GD", "province") > 300
        assert event_count(province) == before  # nobody's empty body recorded anything
        for role in ("clerk", "provinceAdmin", "billingClerk", "customerManager"):  # BJ's staff at GD
            response = client.get(CUSTOMERS, headers=staff(role, "BJ", "bj.staff"))
            assert response.status_code == 403 and "does not act on node GD" in response.json()["reason"]
        spec = client.get("/openapi.json").json()
        pay = spec["paths"]["/tmf-api/paymentManagement/v4/payment"]["post"]
        assert pay["x-roles"] == ["provinceAdmin", "billingClerk"]  # payments only by billing roles


def test_every_operation_every_role_at_hq(store, tmp_path):
    with hq_alone(store, tmp_path) as (hq, client):
        before = event_count(hq)
        assert _matrix(client, "HQ", "hq") > 150
        assert event_count(hq) == before
        spec = client.get("/openapi.json").json()
        release = spec["paths"]["/tmf-api/productCatalogManagement/v4/productOffering/{offering_id}"]
        assert release["patch"]["x-roles"] == ["catalogAdmin"]  # only the catalog administrator


def test_auditors_read_everything_and_change_nothing(client, province):
    created = client.post(CUSTOMERS, json=individual()).json()
    auditor = staff("auditor", "HQ", "zhao.audit")
    assert client.get(created["href"], headers=auditor).status_code == 200
    assert client.get("/replication/status", headers=auditor).status_code == 200
    before = event_count(province)
    assert client.patch(created["href"], json={"name": "改名"}, headers=auditor).status_code == 403
    assert client.post(CUSTOMERS, json=individual(), headers=auditor).status_code == 403
    assert event_count(province) == before


def test_nobody_learns_an_operations_parameters_before_their_token_and_role_are_checked(
    client, store, tmp_path
):
    """The 400s name every parameter and attribute an operation takes: only for those who may call it."""
    probes = ({"bogus": "1"}, {"fields": "bogus"}, {"grade": "9A"}, {"limit": "x"}, {"homeProvince": "XX"})
    for params in probes:
        anonymous = client.get(CUSTOMERS, params=params, headers={"Authorization": ""})
        assert anonymous.status_code == 401 and anonymous.json()["field"] == "Authorization", (
            params,
            anonymous.text,
        )
        analyst = client.get(CUSTOMERS, params=params, headers=staff("hqAnalyst", "HQ", "li.analyst"))
        assert analyst.status_code == 403 and analyst.json()["field"] == "Authorization", (
            params,
            analyst.text,
        )
        assert client.get(CUSTOMERS, params=params).status_code == 400  # the clerk who may ask is told
    assert client.get("/health/live", params={"bogus": "1"}).status_code == 400  # no token needed there
    with hq_alone(store, tmp_path) as (_, at_hq):
        for path in ("/crm/v1/staff", "/crm/v1/statistics", CUSTOMERS):
            anonymous = at_hq.get(path, params={"bogus": "1"})
            assert anonymous.status_code == 401 and "bogus" not in anonymous.text, path


def _forge(claims: dict, key=None, kid: str | None = None, algorithm: str = "EdDSA") -> str:
    signer = key or TokenIssuer(keys_dir() / "issuer.pem", ISSUER, AUDIENCE, LIFETIMES)
    private = signer if key is not None else signer.key
    header_kid = kid or key_id(private.public_key())
    return jwt.encode(claims, private, algorithm=algorithm, headers={"kid": header_kid})


def _claims(**overrides) -> dict:
    now = int(time.time())
    return {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "x",
        "role": "provinceAdmin",
        "province": "GD",
        "iat": now,
        "exp": now + 300,
        "typ": "machine",
        **overrides,
    }  # a script's: no directory needs to hold "x"


def test_broken_tokens_are_401_and_record_nothing(client, province):
    own_kid = key_id(TokenIssuer(keys_dir() / "issuer.pem", ISSUER, AUDIENCE, LIFETIMES).key.public_key())
    good = token()
    header, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    tampered_payload = base64.urlsafe_b64encode(json.dumps({**claims, "role": "auditor"}).encode()).rstrip(
        b"="
    )
    none_header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "kid": own_kid}).encode()).rstrip(b"=")
    broken = {
        "expired": _forge(_claims(exp=int(time.time()) - 10)),
        "tampered": f"{header}.{tampered_payload.decode()}.{signature}",
        "alg none": f"{none_header.decode()}.{payload}.",
        "wrong key": _forge(_claims(), key=Ed25519PrivateKey.generate(), kid=own_kid),
        "wrong audience": _forge(_claims(aud="someone-else")),
        "wrong issuer": _forge(_claims(iss="https://evil.example")),
        "refresh token": TokenIssuer(keys_dir() / "issuer.pem", ISSUER, AUDIENCE, LIFETIMES).issue(
            "x", "x", "provinceAdmin", "GD", kind="refresh"
        ),
        "not a token": "let-me-in",
        "ES256 with our key's id": _forge(
            _claims(), key=ec.generate_private_key(ec.SECP256R1()), kid=own_kid, algorithm="ES256"
        ),
        "ten years": _forge(_claims(exp=int(time.time()) + 10 * 365 * 86400)),
        "issued in the future": _forge(_claims(iat=int(time.time()) + 3600, exp=int(time.time()) + 3700)),
        "unknown role": _forge(_claims(role="superadmin")),
    }
    before = event_count(province)
    for what, bad in broken.items():
        response = client.post(CUSTOMERS, json=individual(), headers={"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401, (what, response.text)
        assert response.json()["code"] == "unauthenticated" and response.json()["field"] == "Authorization"
    assert (
        client.post(CUSTOMERS, json=individual(), headers={"Authorization": f"Bearer {good}"}).status_code
        == 201
    )
    assert event_count(province) > before


def test_a_token_pyjwt_cannot_verify_with_the_key_is_401_everywhere_even_as_a_refresh_grant(store, tmp_path):
    own_kid = key_id(TokenIssuer(keys_dir() / "issuer.pem", ISSUER, AUDIENCE, LIFETIMES).key.public_key())
    es256 = _forge(
        _claims(typ="refresh"), key=ec.generate_private_key(ec.SECP256R1()), kid=own_kid, algorithm="ES256"
    )
    with hq_alone(store, tmp_path) as (_, client):
        refused = client.post("/auth/token", data={"grant_type": "refresh_token", "refresh_token": es256})
        assert refused.status_code == 401 and refused.json()["field"] == "refresh_token"
        assert client.get(CUSTOMERS, headers={"Authorization": f"Bearer {es256}"}).status_code == 401


def test_an_external_openid_issuer_is_trusted_with_its_claims_mapped(store, tmp_path):
    external = tmp_path / "sso"
    create_issuer_keys(external / "key.pem", external / "jwks.json")
    sso = "https://sso.example.com/realms/crm"
    with node_settings(
        store,
        tmp_path,
        "GD",
        auth_external_issuer=sso,
        auth_external_jwks_file=external / "jwks.json",
        auth_external_role_claim="realm_access.roles",
        auth_external_province_claim="crm_province",
        auth_external_audience="crm-gd",
    ) as settings:
        app = open_province(settings)
        try:
            with TestClient(rest_api(app)) as client:
                key = TokenIssuer(external / "key.pem", sso, "crm-gd", LIFETIMES).key
                now = int(time.time())
                claims = {
                    "iss": sso,
                    "aud": "crm-gd",
                    "sub": "5f1c-kc-user",
                    "name": "周 Keycloak",
                    "iat": now,
                    "typ": "Bearer",  # as Keycloak marks its access tokens
                    "exp": now + 300,
                    "realm_access": {"roles": ["offline_access", "clerk"]},
                    "crm_province": "GD",
                }
                bearer = {"Authorization": f"Bearer {_forge(claims, key=key)}"}
                created = client.post(CUSTOMERS, json=individual(), headers=bearer)
                assert created.status_code == 201, created.text
                from uuid import UUID

                by = next(iter(app.events.get(UUID(created.json()["id"])))).by.as_dict()
                assert by["actor"] == "5f1c-kc-user" and by["role"] == "clerk" and by["name"] == "周 Keycloak"
                wrong_province = _forge({**claims, "crm_province": "BJ"}, key=key)
                assert (
                    client.get(CUSTOMERS, headers={"Authorization": f"Bearer {wrong_province}"}).status_code
                    == 403
                )
                for other in ("ID", "Refresh"):  # the provider's ID and refresh tokens are not bearer tokens
                    not_access = {"Authorization": f"Bearer {_forge({**claims, 'typ': other}, key=key)}"}
                    assert client.get(CUSTOMERS, headers=not_access).status_code == 401
        finally:
            app.close()


def test_a_customer_manager_changes_only_their_own_customers(client, province):
    mine = client.post(
        CUSTOMERS, json=individual(customerManager={"id": "li.jingli", "name": "李经理"})
    ).json()
    theirs = client.post(
        CUSTOMERS, json=individual(customerManager={"id": "wang.jingli", "name": "王经理"})
    ).json()
    manager = signed_in(
        client, "li.jingli", channel="customerManager"
    )  # a customer manager of GD's directory
    assert client.patch(mine["href"], json={"grade": "1A"}, headers=manager).status_code == 200
    before = event_count(province)
    refused = client.patch(theirs["href"], json={"grade": "1A"}, headers=manager)
    assert refused.status_code == 403 and "customers they manage" in refused.json()["reason"]
    assert event_count(province) == before
    assert client.get(theirs["href"], headers=manager).status_code == 200  # reading is not changing
    assert client.get(theirs["href"], params={"unmask": "true"}, headers=manager).status_code == 403
    assert client.get(mine["href"], params={"unmask": "true"}, headers=manager).status_code == 200
    assert client.get(CUSTOMERS, params={"unmask": "true"}, headers=manager).status_code == 403
    client.patch(theirs["href"], json={"status": "active"})
    order = client.post(
        "/tmf-api/productOrderingManagement/v4/productOrder",
        json={
            "relatedParty": [{"id": theirs["id"], "role": "customer"}],
            "productOrderItem": [{"productOffering": {"id": "PO-MOB-99"}}],
        },
    ).json()
    before = event_count(province)
    cancel = client.post(
        "/tmf-api/productOrderingManagement/v4/cancelProductOrder",
        json={"productOrder": {"id": order["id"]}},
        headers=manager,
    )
    ticket = client.post(
        "/tmf-api/troubleTicket/v4/troubleTicket",
        headers=manager,
        json={
            "ticketType": "fault",
            "description": "断网",
            "relatedParty": [{"id": theirs["id"], "role": "customer"}],
        },
    )
    assert (cancel.status_code, ticket.status_code) == (403, 403)
    assert event_count(province) == before


def test_no_province_role_acts_at_hq_and_no_hq_role_in_a_province():
    assert {r.value for r in Role} == set(EXPECTED)  # a new role needs its row in the table above
    for name, (home, at_province, at_hq, _) in EXPECTED.items():
        role = Role(name)
        assert acts_at(role, home, "GD", "province") is at_province, name
        assert acts_at(role, home, "HQ", "hq") is at_hq, name
        assert acts_at(role, "BJ", "GD", "province") is (at_province and home == "HQ"), (
            name
        )  # BJ's staff at GD


def test_each_role_holds_exactly_the_permissions_of_the_role_table():
    for name, (_, _, _, permissions) in EXPECTED.items():
        assert {p.value for p in GRANTS[Role(name)]} == permissions, name
    assert Permission.OPERATE not in GRANTS[Role.AUDITOR]  # R-29: auditors change nothing

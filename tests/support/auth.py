"""Test staff: one key directory for the whole test run, and machine tokens for any role and province.

People sign in (`POST /auth/token`); tests that are not about signing in act through machine tokens, as scripts
do, under subjects no directory holds."""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path

from crm.throwaway import make_keys
from hq.staff.schemas import StaffCreate
from shared.auth.tokens import MACHINE, TokenIssuer
from shared.domain.operator import Operator
from shared.domain.values import PROVINCES

ISSUER, AUDIENCE = "crm-hq", "crm"
LIFETIMES = {"access": 3600, "refresh": 7200, "machine": 3600}


@lru_cache
def keys_dir() -> Path:
    """Where the run's keys live (created once); node settings point here. Provinces make their own signing keys
    here at their first start."""
    directory = Path(tempfile.mkdtemp(prefix="crm-test-keys-"))
    return make_keys(directory, ["HQ", *sorted(PROVINCES)])  # each node its own data key, as in production


@lru_cache
def issuer() -> TokenIssuer:
    return TokenIssuer(keys_dir() / "issuer.pem", ISSUER, AUDIENCE, LIFETIMES)


def token(
    role: str = "provinceAdmin", province: str = "GD", subject: str = "zhang.san", name: str = "张三"
) -> str:
    return issuer().issue(subject, name, role, province, kind=MACHINE)


def staff(
    role: str = "provinceAdmin",
    province: str = "GD",
    subject: str = "zhang.san",
    name: str = "张三",
    channel: str = "businessHall",
) -> dict[str, str]:
    """Request headers of a script acting as a staff member of this role and province."""
    return {"Authorization": f"Bearer {token(role, province, subject, name)}", "X-Channel": channel}


STAFF = staff()  # GD's province administrator zhang.san, at the business hall


def bearer(access_token: str, channel: str = "businessHall") -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}", "X-Channel": channel}


PASSWORD = "a fine long passphrase"
ENROLLER = Operator(actor="crm.cli", role="systemAdmin", channel="system")  # as `crm users add` records it


def enrol(
    hq_app,
    username: str,
    role: str,
    province: str | None = None,
    password: str = PASSWORD,
    name: str | None = None,
) -> dict:
    """A member enrolled in HQ's directory the way `crm users add` does it (the first administrator's way in)."""
    return hq_app.staff.enrol_staff(
        StaffCreate(
            username=username, name=name or username, role=role, province=province, password=password
        ),
        ENROLLER,
    )


def signed_in(
    client, username: str, password: str = PASSWORD, channel: str = "businessHall"
) -> dict[str, str]:
    """Request headers of a member who signed in at the node `client` talks to."""
    response = client.post("/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return bearer(response.json()["access_token"], channel)


TEST_MANAGERS = {
    "m1": "王经理",
    "m2": "赵经理",
    "m7": "陈经理",
    "li.jingli": "李经理",
    "wang.jingli": "王经理",
    "gd-m1": "陈经理",
    "gd-m3": "陈经理",
    "gd-m9": "陈经理",
}


@lru_cache
def verifier() -> str:
    from shared.auth.sign_in import HASHER

    return HASHER.hash(PASSWORD)


def seat(province_app, username: str, role: str = "customerManager", name: str | None = None) -> None:
    """A province's copy of a directory member as HQ's directory would have sent it, for tests of one province
    without HQ (a customer's manager must be one of the province's customer managers)."""
    from shared.domain.staff import StaffCopy, canonical_username

    copy = StaffCopy(
        username=canonical_username(username),
        name=name or username,
        role=role,
        province=province_app.settings.node_code,
        by=ENROLLER,
    )
    copy.take_verifier(verifier(), ENROLLER)  # they sign in at the province with PASSWORD
    province_app.record(copy)


def seat_test_managers(province_app) -> None:
    for username, name in TEST_MANAGERS.items():
        seat(province_app, username, name=name)

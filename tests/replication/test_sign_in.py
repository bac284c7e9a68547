"""Signing in: Argon2 verifiers, tokens, refresh once, throttling that outlives a restart and an administrator can
lift; HQ's directory reaching every province (its own staff with verifiers, every-node staff without); a member
disabled, moved or demoted refused at once; one form of user names; machine tokens for scripts only."""

from __future__ import annotations

import contextlib

import jwt
from fastapi.testclient import TestClient

from crm.bootstrap import open_hq, rest_api
from shared.auth.tokens import MACHINE, TokenIssuer, load_public_key
from shared.domain.errors import TooManyAttempts
from shared.domain.staff import StaffCopy, StaffMember, staff_id
from tests.support.auth import (
    AUDIENCE,
    ISSUER,
    LIFETIMES,
    PASSWORD,
    bearer,
    enrol,
    keys_dir,
    signed_in,
    staff,
)
from tests.support.auth import ENROLLER as ENROLLED_BY
from tests.support.factories import BY
from tests.support.nodes import cluster, eventually
from tests.support.stores import node_settings

TOKEN = "/auth/token"
STAFF = "/crm/v1/staff"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ID_CARD = {"type": "idCard", "number": "11010519491231002X"}


def _copy(app, username):
    return app.find(StaffCopy, staff_id(username))


def test_staff_sign_in_refresh_throttle_and_a_disabled_member_is_refused_everywhere(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        hq, gd = nodes["HQ"], nodes["GD"]
        enrol(hq.app, "root.admin", "systemAdmin", name="系统管理员")
        with TestClient(rest_api(hq.app)) as at_hq, TestClient(rest_api(gd.app)) as at_gd:
            admin = signed_in(at_hq, "root.admin")
            enrolled = at_hq.post(
                STAFF,
                json={
                    "username": "li.si",
                    "name": "李四",
                    "role": "clerk",
                    "province": "GD",
                    "password": "correct horse battery",
                },
                headers=admin,
            )
            assert enrolled.status_code == 201 and enrolled.json()["enabled"] is True
            assert "password" not in enrolled.text and "argon2" not in enrolled.text
            stored = hq.app.find(StaffMember, staff_id("li.si")).password_hash
            assert stored.startswith("$argon2") and "correct horse" not in stored
            assert (
                at_hq.post(
                    STAFF,
                    json={
                        "username": "li.si",
                        "role": "clerk",
                        "province": "GD",
                        "password": "another passphrase",
                    },
                    headers=admin,
                ).status_code
                == 409
            )

            signed = at_hq.post(TOKEN, data={"username": "li.si", "password": "correct horse battery"})
            assert signed.status_code == 200, signed.text
            tokens = signed.json()
            assert (
                tokens["role"] == "clerk" and tokens["province"] == "GD" and tokens["token_type"] == "bearer"
            )
            at_gd_bearer = bearer(tokens["access_token"])
            eventually(lambda: _copy(gd.app, "li.si"))
            created = at_gd.post(
                CUSTOMERS,
                json={"name": "王五", "customerKind": "individual", "grade": "3A", "certificate": ID_CARD},
                headers=at_gd_bearer,
            )
            assert created.status_code == 201, created.text
            assert (
                at_hq.get("/crm/v1/statistics", headers=at_gd_bearer).status_code == 403
            )  # a GD clerk at HQ

            refreshed = at_hq.post(
                TOKEN, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
            )
            assert refreshed.status_code == 200 and refreshed.json()["access_token"] != tokens["access_token"]
            again = at_hq.post(
                TOKEN, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
            )
            assert again.status_code == 401 and "already used" in again.json()["reason"]  # rotated: once only
            chained = at_hq.post(
                TOKEN,
                data={"grant_type": "refresh_token", "refresh_token": refreshed.json()["refresh_token"]},
            )
            assert (
                chained.status_code == 401
            )  # a replay ends the whole sign-in: whoever replayed holds nothing
            assert "sign-in was ended" in chained.json()["reason"]
            assert (
                at_hq.post(
                    TOKEN, data={"grant_type": "refresh_token", "refresh_token": tokens["access_token"]}
                ).status_code
                == 401
            )
            assert at_gd.post(CUSTOMERS, json={}, headers=bearer(tokens["refresh_token"])).status_code == 401

            disabled = at_hq.patch(f"{STAFF}/li.si", json={"enabled": False}, headers=admin)
            assert disabled.status_code == 200 and disabled.json()["enabled"] is False
            assert (
                at_hq.post(TOKEN, data={"username": "li.si", "password": "correct horse battery"}).status_code
                == 401
            )
            eventually(
                lambda: at_gd.get(CUSTOMERS, headers=at_gd_bearer).status_code == 401
            )  # refused at GD too
            assert (
                at_gd.get(CUSTOMERS, headers=at_gd_bearer).json()["reason"] == "this staff member is disabled"
            )
            assert (
                at_gd.post(TOKEN, data={"username": "li.si", "password": "correct horse battery"}).status_code
                == 401
            )
            events = list(hq.app.events.get(staff_id("li.si")))
            assert [type(e).__qualname__ for e in events] == [
                "StaffMember.Enrolled",
                "StaffMember.PasswordSet",
                "StaffMember.Disabled",
            ]
            assert all(e.by.actor == "root.admin" for e in events)  # every change audited with who made it

            for _ in range(4):  # with the failure above, five in a row
                wrong = at_hq.post(TOKEN, data={"username": "li.si", "password": "wrong guess!!"})
                assert (
                    wrong.status_code == 401
                    and wrong.json()["reason"] == "unknown user name or wrong password"
                )
            throttled = at_hq.post(TOKEN, data={"username": "li.si", "password": "correct horse battery"})
            assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


def test_a_member_moved_to_another_province_signs_in_only_there_and_is_refused_there_once_disabled(
    store, tmp_path
):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        hq, gd, bj = nodes["HQ"], nodes["GD"], nodes["BJ"]
        enrol(hq.app, "root.admin", "systemAdmin")
        with (
            TestClient(rest_api(hq.app)) as at_hq,
            TestClient(rest_api(bj.app)) as at_bj,
            TestClient(rest_api(gd.app)) as at_gd,
        ):
            admin = signed_in(at_hq, "root.admin")
            at_hq.post(
                STAFF,
                json={"username": "zhou.qi", "role": "clerk", "province": "GD", "password": PASSWORD},
                headers=admin,
            )
            eventually(lambda: _copy(gd.app, "zhou.qi") and _copy(gd.app, "zhou.qi").password_hash)
            at_gd_bearer = signed_in(at_gd, "zhou.qi")  # GD signs its own clerk in
            moved = at_hq.patch(f"{STAFF}/zhou.qi", json={"province": "BJ"}, headers=admin)
            assert moved.status_code == 200 and moved.json()["province"] == "BJ"
            eventually(lambda: _copy(gd.app, "zhou.qi").withdrawn)
            assert (
                at_gd.get(CUSTOMERS, headers=at_gd_bearer).status_code == 401
            )  # GD's token no longer acts at GD
            assert at_gd.post(TOKEN, data={"username": "zhou.qi", "password": PASSWORD}).status_code == 401
            eventually(lambda: _copy(bj.app, "zhou.qi") and _copy(bj.app, "zhou.qi").password_hash)
            at_bj_bearer = signed_in(at_bj, "zhou.qi")  # the verifier went with them
            assert at_bj.get(CUSTOMERS, headers=at_bj_bearer).status_code == 200
            at_hq.patch(f"{STAFF}/zhou.qi", json={"enabled": False}, headers=admin)
            eventually(lambda: at_bj.get(CUSTOMERS, headers=at_bj_bearer).status_code == 401)
            assert at_bj.post(TOKEN, data={"username": "zhou.qi", "password": PASSWORD}).status_code == 401


def test_a_demoted_member_acts_in_the_old_role_no_longer_and_names_are_compared_in_one_form(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        hq, gd = nodes["HQ"], nodes["GD"]
        enrol(hq.app, "root.admin", "systemAdmin")
        enrol(hq.app, "hq.auditor", "auditor")
        enrol(hq.app, "GD.ProvinceAdmin", "provinceAdmin", "GD")  # stored as gd.provinceadmin
        with TestClient(rest_api(hq.app)) as at_hq, TestClient(rest_api(gd.app)) as at_gd:
            admin = signed_in(at_hq, "root.admin")
            eventually(lambda: _copy(gd.app, "gd.provinceadmin") and _copy(gd.app, "hq.auditor"))
            boss = signed_in(
                at_gd, "Gd.ProvinceAdmin"
            )  # any case signs in; the token names the canonical form
            claims = jwt.decode(boss["Authorization"][7:], options={"verify_signature": False})
            assert claims["sub"] == "gd.provinceadmin" and claims["iss"] == f"{ISSUER}/GD"
            full = {"unmask": "true"}  # personal data in full: a province administrator's, not a clerk's
            assert at_gd.get(CUSTOMERS, params=full, headers=boss).status_code == 200
            at_hq.patch(f"{STAFF}/gd.provinceadmin", json={"role": "clerk"}, headers=admin)
            eventually(lambda: at_gd.get(CUSTOMERS, params=full, headers=boss).status_code == 401)
            reason = at_gd.get(CUSTOMERS, headers=boss).json()["reason"]
            assert "role or province has changed" in reason
            clerk = signed_in(at_gd, "gd.provinceadmin")  # signing in again gives the new role
            assert at_gd.get(CUSTOMERS, headers=clerk).status_code == 200
            assert at_gd.get(CUSTOMERS, params=full, headers=clerk).status_code == 403

            auditor = signed_in(at_hq, "HQ.Auditor")
            assert at_gd.get(CUSTOMERS, headers=auditor).status_code == 200  # every-node staff act at GD
            at_hq.patch(f"{STAFF}/hq.auditor", json={"enabled": False}, headers=admin)
            eventually(
                lambda: at_gd.get(CUSTOMERS, headers=auditor).status_code == 401
            )  # disabled reached GD
            upper = TokenIssuer(keys_dir() / "issuer.pem", ISSUER, AUDIENCE, LIFETIMES).issue(
                "HQ.Auditor", "x", "auditor", "HQ"
            )  # a token naming the member in other letters
            assert at_gd.get(CUSTOMERS, headers=bearer(upper)).status_code == 401
            assert at_hq.get(CUSTOMERS, headers=bearer(upper)).status_code == 401


def test_machine_tokens_are_for_scripts_only(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        hq, gd = nodes["HQ"], nodes["GD"]
        enrol(hq.app, "gd.clerk", "clerk", "GD")
        with TestClient(rest_api(hq.app)) as at_hq, TestClient(rest_api(gd.app)) as at_gd:
            eventually(lambda: _copy(gd.app, "gd.clerk"))
            ghost = staff("clerk", "GD", "batch.ghost")  # nobody's name: a script, recorded as one
            created = at_gd.post(
                CUSTOMERS,
                json={"name": "赵六", "customerKind": "individual", "grade": "3A", "certificate": ID_CARD},
                headers=ghost,
            )
            assert created.status_code == 201
            from uuid import UUID

            by = next(iter(gd.app.events.get(UUID(created.json()["id"])))).by.as_dict()
            assert by["actor"] == "batch.ghost" and by["kind"] == "machine"
            impostor = staff("clerk", "GD", "GD.Clerk")  # a member's name on a machine token
            refused = at_gd.get(CUSTOMERS, headers=impostor)
            assert refused.status_code == 401 and "the member signs in" in refused.json()["reason"]
            machine_admin = staff("systemAdmin", "HQ", "ops.script")
            assert (
                at_hq.post(
                    STAFF,
                    json={"username": "x.y", "role": "clerk", "province": "GD", "password": PASSWORD},
                    headers=machine_admin,
                ).status_code
                == 403
            )
            ten_years = TokenIssuer(
                keys_dir() / "issuer.pem", ISSUER, AUDIENCE, {**LIFETIMES, MACHINE: 10 * 365 * 86400}
            ).issue("batch.ghost", "x", "clerk", "GD", kind=MACHINE)
            capped = at_gd.get(CUSTOMERS, headers=bearer(ten_years))
            assert capped.status_code == 401 and "lives at most" in capped.json()["reason"]


def test_lockouts_outlive_a_restart_and_a_system_administrator_lifts_them(store, tmp_path):
    with node_settings(store, tmp_path, "HQ", tier="hq") as settings:
        hq = open_hq(settings)
        try:
            enrol(hq, "root.admin", "systemAdmin")
            enrol(hq, "second.admin", "systemAdmin")
            with TestClient(rest_api(hq)) as at_hq:
                for _ in range(5):
                    assert (
                        at_hq.post(
                            TOKEN, data={"username": "root.admin", "password": "not it at all"}
                        ).status_code
                        == 401
                    )
                assert (
                    at_hq.post(TOKEN, data={"username": "root.admin", "password": PASSWORD}).status_code
                    == 429
                )
        finally:
            hq.close()
        hq = open_hq(settings)  # a restart lifts nothing
        try:
            with TestClient(rest_api(hq)) as at_hq:
                assert (
                    at_hq.post(TOKEN, data={"username": "root.admin", "password": PASSWORD}).status_code
                    == 429
                )
                other = signed_in(at_hq, "second.admin")
                lifted = at_hq.post(f"{STAFF}/Root.Admin/unlock", headers=other)
                assert lifted.status_code == 200 and lifted.json() == {
                    "username": "root.admin",
                    "node": "HQ",
                    "wasLocked": True,
                }
                assert (
                    at_hq.post(TOKEN, data={"username": "root.admin", "password": PASSWORD}).status_code
                    == 200
                )
                operations = at_hq.get(
                    "/audit/operations",
                    headers=staff("auditor", "HQ", "audit.script"),
                    params={"aggregateType": "SignInUnlocked"},
                ).json()
                assert [(o["actor"], o["eventType"]) for o in operations] == [
                    ("second.admin", "SignInUnlocked.Recorded")
                ], operations
        finally:
            hq.close()


def test_while_hq_is_away_a_province_signs_its_own_staff_in_and_its_key_speaks_only_for_it(store, tmp_path):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        hq, gd, bj = nodes["HQ"], nodes["GD"], nodes["BJ"]
        enrol(hq.app, "gd.clerk", "clerk", "GD", name="广东柜员")
        eventually(lambda: _copy(gd.app, "gd.clerk") and _copy(gd.app, "gd.clerk").password_hash)
        with TestClient(rest_api(hq.app)) as at_hq:
            published = eventually(
                lambda: [
                    k for k in at_hq.get("/.well-known/jwks.json").json()["keys"] if k.get("province") == "GD"
                ]
            )
            assert published[0]["iss"] == f"{ISSUER}/GD" and "d" not in published[0]  # public half only
        hq.runtime.stop()  # HQ is away from here on: nothing of it answers GD
        with (
            TestClient(rest_api(gd.app)) as at_gd,
            TestClient(rest_api(bj.app)) as at_bj,
        ):
            clerk = signed_in(at_gd, "gd.clerk")
            created = at_gd.post(
                CUSTOMERS,
                json={"name": "钱七", "customerKind": "individual", "grade": "2A", "certificate": ID_CARD},
                headers=clerk,
            )
            assert created.status_code == 201, created.text
            from uuid import UUID

            by = next(iter(gd.app.events.get(UUID(created.json()["id"])))).by.as_dict()
            assert by["actor"] == "gd.clerk" and "kind" not in by  # a person who signed in
            assert at_bj.get(CUSTOMERS, headers=clerk).status_code in (401, 403)  # GD's staff act at GD only
            gd_key = TokenIssuer(keys_dir() / "gd.signing.pem", f"{ISSUER}/GD", AUDIENCE, LIFETIMES)
            forged = gd_key.issue("bj.clerk", "x", "clerk", "BJ")  # GD's key speaking for BJ's staff
            refused = at_bj.get(CUSTOMERS, headers=bearer(forged))
            assert refused.status_code == 401
            as_auditor = gd_key.issue("gd.clerk", "x", "auditor", "HQ")  # or for anyone beyond GD's staff
            assert at_gd.get(CUSTOMERS, headers=bearer(as_auditor)).status_code == 401
            assert at_bj.get(CUSTOMERS, headers=bearer(as_auditor)).status_code == 401


def test_an_old_password_event_still_loads(store, tmp_path):
    """Verifiers set before they travelled (version 1 of PasswordSet) load as verifiers kept at HQ."""
    from eventsourcing.persistence import StoredEvent

    with node_settings(store, tmp_path, "HQ", tier="hq") as settings:
        hq = open_hq(settings)
        try:
            member = StaffMember(
                username="old.timer", name="老", role="clerk", province="GD", destination="GD", by={}
            )
            hq.save(member)
            state = hq.mapper.transcoder.encode(
                {
                    "password_hash": "$argon2id$v=19$old",
                    "by": {},
                    "timestamp": member.modified_on,
                    "originator_id": member.id,
                    "originator_version": 2,
                }
            )
            topic = "shared.domain.staff:StaffMember.PasswordSet"
            hq.recorder.insert_events([StoredEvent(member.id, 2, topic, hq.mapper.cipher.encrypt(state))])
            loaded = hq.find(StaffMember, member.id)
            assert loaded.password_hash == "$argon2id$v=19$old"
            event = list(hq.events.get(member.id))[-1]
            assert (event.username, event.destination) == ("", "")  # not sent anywhere
        finally:
            hq.close()


def test_a_changed_password_or_an_old_sign_in_refreshes_nothing(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        hq, gd = nodes["HQ"], nodes["GD"]
        enrol(hq.app, "root.admin", "systemAdmin")
        enrol(hq.app, "gd.rv1", "clerk", "GD")
        with TestClient(rest_api(hq.app)) as at_hq, TestClient(rest_api(gd.app)) as at_gd:
            eventually(lambda: _copy(gd.app, "gd.rv1") and _copy(gd.app, "gd.rv1").password_hash)
            at_home = at_gd.post(TOKEN, data={"username": "gd.rv1", "password": PASSWORD}).json()[
                "refresh_token"
            ]
            at_centre = at_hq.post(TOKEN, data={"username": "gd.rv1", "password": PASSWORD}).json()[
                "refresh_token"
            ]
            before = _copy(gd.app, "gd.rv1").password_hash
            at_hq.patch(
                f"{STAFF}/gd.rv1",
                json={"password": "another fine passphrase"},
                headers=signed_in(at_hq, "root.admin"),
            )
            eventually(lambda: _copy(gd.app, "gd.rv1").password_hash != before)
            for client, old in ((at_gd, at_home), (at_hq, at_centre)):
                refused = client.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": old})
                assert refused.status_code == 401 and "password has changed" in refused.json()["reason"]
            fresh = at_gd.post(
                TOKEN, data={"username": "gd.rv1", "password": "another fine passphrase"}
            ).json()
            claims = jwt.decode(fresh["refresh_token"], options={"verify_signature": False})
            stale = TokenIssuer(keys_dir() / "gd.signing.pem", f"{ISSUER}/GD", AUDIENCE, LIFETIMES).issue(
                "gd.rv1",
                "x",
                "clerk",
                "GD",
                kind="refresh",
                extra={
                    **{k: claims[k] for k in ("sid", "cred")},
                    "auth_time": claims["auth_time"] - 13 * 3600,
                },
            )
            too_old = at_gd.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": stale})
            assert (
                too_old.status_code == 401 and "too old" in too_old.json()["reason"]
            )  # 12 h after signing in


def test_failures_are_counted_before_the_check_and_a_members_own_address_is_never_locked_by_strangers(
    store, tmp_path
):
    from concurrent.futures import ThreadPoolExecutor

    with node_settings(store, tmp_path, "HQ", tier="hq") as settings:
        hq = open_hq(settings)
        try:
            enrol(hq, "gd.boss", "provinceAdmin", "GD")
            enrol(hq, "gd.newcomer", "clerk", "GD")
            desk = hq.staff_access.desk()
            desk.sign_in("gd.boss", PASSWORD, "10.1.1.1")  # the boss has signed in from the office before

            def wrong(_: int) -> str:
                try:
                    desk.sign_in("gd.boss", "not the password", "10.2.2.2")
                except Exception as refused:
                    return type(refused).__name__
                return "signed in"

            with ThreadPoolExecutor(20) as pool:
                outcomes = list(pool.map(wrong, range(20)))
            assert (
                outcomes.count("Unauthenticated") == 5 and outcomes.count("TooManyAttempts") == 15
            )  # 5 checks
            assert hq.staff_access.unlock("gd.boss", ENROLLED_BY)["wasLocked"] is True

            for n in range(50):  # a stranger's spree through the office's proxy
                with contextlib.suppress(Exception):
                    desk.sign_in(f"guess{n}", "whatever it is", "10.1.1.1")
            assert (
                desk.sign_in("gd.boss", PASSWORD, "10.1.1.1").role == "provinceAdmin"
            )  # known here: not locked
            try:
                desk.sign_in("gd.newcomer", PASSWORD, "10.1.1.1")
                raise AssertionError("the address waits for anyone it has not seen sign in")
            except TooManyAttempts:
                pass
            assert hq.staff_access.unlock_address("10.1.1.1", ENROLLED_BY)["wasLocked"] is True
            assert desk.sign_in("gd.newcomer", PASSWORD, "10.1.1.1").role == "clerk"
            with TestClient(rest_api(hq)) as at_hq:
                nul = at_hq.post(TOKEN, data={"username": "a\x00b", "password": "x"})
                assert nul.status_code == 400 and nul.json()["field"] == "username"  # never reaches the store
        finally:
            hq.close()


def test_password_checks_beyond_the_nodes_bound_are_asked_to_wait_not_run(store, tmp_path):
    with node_settings(
        store, tmp_path, "HQ", tier="hq", auth_concurrent_verifications=1, auth_verification_wait_seconds=0
    ) as settings:
        hq = open_hq(settings)
        try:
            enrol(hq, "gd.boss", "provinceAdmin", "GD")
            desk = hq.staff_access.desk()
            with desk._verifying:  # every check is running (here: held by the test)
                try:
                    desk.sign_in("gd.boss", PASSWORD, "10.1.1.1")
                    raise AssertionError("a check ran beyond the bound")
                except TooManyAttempts as busy:
                    assert "at once" in busy.reason
            assert desk.sign_in("gd.boss", PASSWORD, "10.1.1.1").role == "provinceAdmin"
        finally:
            hq.close()


def test_hq_trusts_only_a_provinces_own_ed25519_key_and_a_distrusted_key_signs_nobody_in(store, tmp_path):
    import base64
    from types import SimpleNamespace

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from hq.staff.commands import is_signing_key
    from shared.auth.tokens import key_id, public_jwk

    real = Ed25519PrivateKey.generate().public_key()
    jwk = public_jwk(real)
    assert is_signing_key(jwk["kid"], jwk)
    assert not is_signing_key("0" * 16, {**jwk, "kid": "0" * 16})  # an id its bytes do not give
    assert not is_signing_key(jwk["kid"], {**jwk, "d": "c2VjcmV0"})  # a private part
    assert not is_signing_key(
        "k", {"kty": "oct", "k": base64.urlsafe_b64encode(b"s" * 32).decode(), "kid": "k"}
    )
    with cluster(store, tmp_path, ("GD",)) as nodes:
        hq, gd = nodes["HQ"], nodes["GD"]
        before = hq.app.staff_access.published_keys()
        with hq.app.batch() as batch:
            hq.app.staff.trust_province_key(
                "GD", SimpleNamespace(province="GD", kid="0" * 16, jwk={**jwk, "kid": "0" * 16}, by=BY)
            )
            assert not batch.changed()  # nothing trusted, nothing recorded
        enrol(hq.app, "gd.clerk", "clerk", "GD")
        eventually(lambda: _copy(gd.app, "gd.clerk") and _copy(gd.app, "gd.clerk").password_hash)
        gd_kid = key_id(load_public_key(keys_dir() / "gd.signing.pem", "GD"))
        eventually(lambda: any(k["kid"] == gd_kid for k in hq.app.staff_access.published_keys()))
        assert (
            key_id(real) not in {k["kid"] for k in hq.app.staff_access.published_keys()}
            and before is not None
        )
        with TestClient(rest_api(gd.app)) as at_gd:
            clerk = signed_in(at_gd, "gd.clerk")
            assert at_gd.get(CUSTOMERS, headers=clerk).status_code == 200
            hq.app.staff.distrust_key(gd_kid, "the key file was copied off the machine", ENROLLED_BY)
            eventually(lambda: at_gd.get(CUSTOMERS, headers=clerk).status_code == 401)  # its tokens, refused
            refused = at_gd.post(TOKEN, data={"username": "gd.clerk", "password": PASSWORD})
            assert refused.status_code == 503 and refused.json()["code"] == "signingKeyDistrusted"
        assert gd_kid not in {k["kid"] for k in hq.app.staff_access.published_keys()}

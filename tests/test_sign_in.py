"""Signing in at HQ's staff directory: Argon2 passwords, tokens, refresh, throttling, disabled staff refused
everywhere once HQ's directory reaches the province."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hq.api.app import create_app as create_hq_app
from province.api.app import create_app as create_province_app
from shared.domain.staff import StaffMember, staff_id
from tests.auth import staff
from tests.cluster import cluster, eventually

TOKEN = "/auth/token"
STAFF = "/crm/v1/staff"
CUSTOMERS = "/tmf-api/customerManagement/v4/customer"
ADMIN = staff("systemAdmin", "HQ", "root.admin", "系统管理员")


def test_staff_sign_in_refresh_throttle_and_a_disabled_member_is_refused_everywhere(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        hq, gd = nodes["HQ"], nodes["GD"]
        with TestClient(create_hq_app(hq.app)) as at_hq, TestClient(create_province_app(gd.app)) as at_gd:
            enrolled = at_hq.post(STAFF, json={"username": "li.si", "name": "李四", "role": "clerk",
                                               "province": "GD", "password": "correct horse battery"}, headers=ADMIN)
            assert enrolled.status_code == 201 and enrolled.json()["enabled"] is True
            assert "password" not in enrolled.text and "argon2" not in enrolled.text
            stored = hq.app.find(StaffMember, staff_id("li.si")).password_hash
            assert stored.startswith("$argon2") and "correct horse" not in stored
            assert at_hq.post(STAFF, json={"username": "li.si", "role": "clerk", "province": "GD",
                                           "password": "another passphrase"}, headers=ADMIN).status_code == 409

            signed = at_hq.post(TOKEN, data={"username": "li.si", "password": "correct horse battery"})
            assert signed.status_code == 200, signed.text
            tokens = signed.json()
            assert tokens["role"] == "clerk" and tokens["province"] == "GD" and tokens["token_type"] == "bearer"
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            created = at_gd.post(CUSTOMERS, json={"name": "王五", "customerKind": "individual", "grade": "3A",
                                                  "certificate": {"type": "idCard", "number": "11010519491231002X"}},
                                 headers=bearer)
            assert created.status_code == 201, created.text
            assert at_hq.get("/crm/v1/statistics", headers=bearer).status_code == 403  # a GD clerk at HQ

            refreshed = at_hq.post(TOKEN, data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
            assert refreshed.status_code == 200 and refreshed.json()["access_token"] != tokens["access_token"]
            assert at_hq.post(TOKEN, data={"grant_type": "refresh_token",
                                           "refresh_token": tokens["access_token"]}).status_code == 401
            assert at_gd.post(CUSTOMERS, json={}, headers={
                "Authorization": f"Bearer {tokens['refresh_token']}"}).status_code == 401

            eventually(lambda: gd.app.queries.rows("SELECT enabled FROM {staff} WHERE id = 'li.si'"))
            disabled = at_hq.patch(f"{STAFF}/li.si", json={"enabled": False}, headers=ADMIN)
            assert disabled.status_code == 200 and disabled.json()["enabled"] is False
            assert at_hq.post(TOKEN, data={"username": "li.si", "password": "correct horse battery"}).status_code == 401
            eventually(lambda: at_gd.get(CUSTOMERS, headers=bearer).status_code == 401)  # refused at GD too
            assert at_gd.get(CUSTOMERS, headers=bearer).json()["reason"] == "this staff member is disabled"
            events = list(hq.app.events.get(staff_id("li.si")))
            assert [type(e).__qualname__ for e in events] == [
                "StaffMember.Enrolled", "StaffMember.PasswordSet", "StaffMember.Disabled"]
            assert all(e.by["actor"] == "root.admin" for e in events)  # every change audited with who made it

            for _ in range(4):  # with the failure above, five in a row
                wrong = at_hq.post(TOKEN, data={"username": "li.si", "password": "wrong guess!!"})
                assert wrong.status_code == 401 and wrong.json()["reason"] == "unknown user name or wrong password"
            throttled = at_hq.post(TOKEN, data={"username": "li.si", "password": "correct horse battery"})
            assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0


def test_a_member_moved_to_another_province_and_then_disabled_is_refused_there(store, tmp_path):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        hq, bj = nodes["HQ"], nodes["BJ"]
        with TestClient(create_hq_app(hq.app)) as at_hq, TestClient(create_province_app(bj.app)) as at_bj:
            at_hq.post(STAFF, json={"username": "zhou.qi", "role": "clerk", "province": "GD",
                                    "password": "a fine long passphrase"}, headers=ADMIN)
            moved = at_hq.patch(f"{STAFF}/zhou.qi", json={"province": "BJ"}, headers=ADMIN)
            assert moved.status_code == 200 and moved.json()["province"] == "BJ"
            bearer = {"Authorization": f"Bearer {staff('clerk', 'BJ', 'zhou.qi')['Authorization'][7:]}"}
            assert at_bj.get(CUSTOMERS, headers=bearer).status_code == 200
            at_hq.patch(f"{STAFF}/zhou.qi", json={"enabled": False}, headers=ADMIN)
            eventually(lambda: at_bj.get(CUSTOMERS, headers=bearer).status_code == 401)

"""Replication over real gRPC on loopback: provinces up to HQ, the catalog down, exactly once."""

from __future__ import annotations

import pytest

from hq.catalog.schemas import OfferingCreate, OfferingPatch
from province.customers.schemas import CustomerCreate, CustomerPatch, MemberCreate
from province.tickets.schemas import TicketCreate
from shared.classification import PROVINCE_PUBLIC
from tests.support.factories import BY, group, individual
from tests.support.nodes import cluster, eventually


def synced(hq, province_code: str, province) -> bool:
    status = hq.follower(province_code).status
    chain = province.runtime.service.chain
    chain.extend()
    return status.position == chain.head_position and status.state == "streaming"


def test_customer_registered_in_gd_appears_in_the_national_registry(store, tmp_path):
    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        vip = gd.app.customers.register_customer(
            CustomerCreate.model_validate(individual(grade="1A", name="王总")), BY
        )
        gd.app.customers.register_customer(
            CustomerCreate.model_validate(individual(grade="5A")), BY
        )  # not a national customer
        eventually(lambda: synced(hq, "GD", gd))
        national = hq.app.registry.list_national_customers()
        assert national.total == 1
        assert (
            national.items[0]["certificate"]["number"]
            == vip["certificate"]["number"][:6] + "********" + vip["certificate"]["number"][-4:]
        )  # masked in the national view too
        unmasked = hq.app.registry.get_national_customer(national.items[0]["id"], unmask=True)
        assert unmasked["certificate"] == vip["certificate"]
        assert national.items[0]["provincialCustomer"][0]["id"] == vip["id"]
        gd.app.customers.update_customer(
            vip["id"], CustomerPatch.model_validate({"grade": "2A", "status": "active"}), BY
        )
        eventually(lambda: hq.app.registry.list_national_customers(grade="2A").total == 1)
        status = hq.runtime.status()["upstreams"][0]
        assert status["lagEvents"] == 0 and status["state"] == "streaming"


def test_same_group_in_gd_and_bj_is_one_national_customer(store, tmp_path):
    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        body = group(name="中国某集团")
        g_gd = nodes["GD"].app.customers.register_customer(CustomerCreate.model_validate(body), BY)
        g_bj = nodes["BJ"].app.customers.register_customer(CustomerCreate.model_validate(body), BY)
        nodes["GD"].app.customers.add_member(
            g_gd["id"],
            MemberCreate.model_validate({"name": "甲", "phoneNumber": "13800000001", "province": "GD"}),
            BY,
        )
        nodes["BJ"].app.customers.add_member(
            g_bj["id"],
            MemberCreate.model_validate({"name": "乙", "phoneNumber": "13800000002", "province": "BJ"}),
            BY,
        )
        nodes["BJ"].app.customers.add_member(
            g_bj["id"],
            MemberCreate.model_validate({"name": "丙", "phoneNumber": "13800000003", "province": "SH"}),
            BY,
        )
        hq = nodes["HQ"]
        eventually(lambda: synced(hq, "GD", nodes["GD"]) and synced(hq, "BJ", nodes["BJ"]))
        national = hq.app.registry.list_national_customers(kind="group")
        assert national.total == 1
        one = national.items[0]
        assert one["provinces"] == ["BJ", "GD"]
        assert sorted(m["province"] for m in one["member"]) == ["BJ", "GD", "SH"]
        assert hq.app.registry.get_national_customer(one["id"])["id"] == one["id"]
        assert hq.app.registry.list_national_customers(province="BJ").total == 1


def test_catalog_released_at_hq_becomes_orderable_and_retired_stops(store, tmp_path):
    from shared.domain.errors import InvalidValue

    with cluster(store, tmp_path, ("GD", "BJ")) as nodes:
        hq = nodes["HQ"]
        hq.app.catalog.create_product(
            OfferingCreate(
                **{"id": "PO-IPTV", "name": "IPTV", "kind": "service", "oneTimeFee": 0, "monthlyFee": 2000}
            ),
            BY,
        )
        for status in ("inDevelopment", "tariffApproval", "released"):
            hq.app.catalog.change_product("PO-IPTV", OfferingPatch(lifecycleStatus=status), BY)
        for code in ("GD", "BJ"):
            app = nodes[code].app
            terms = eventually(lambda: _orderable(app, "PO-IPTV"))
            assert terms.monthly_fee == 2000
            assert app.catalog.get_offering("PO-IPTV")["catalogSource"] == "HQ"
        hq.app.catalog.change_product("PO-IPTV", OfferingPatch(lifecycleStatus="retired"), BY)
        for code in ("GD", "BJ"):
            app = nodes[code].app
            eventually(lambda: app.catalog.get_offering("PO-IPTV")["lifecycleStatus"] == "retired")
            with pytest.raises(InvalidValue):
                app.catalog.orderable_offering("PO-IPTV", "productOrderItem[0].productOffering.id")


def _orderable(app, offering_id):
    try:
        return app.catalog.orderable_offering(offering_id, "x")
    except Exception:
        return None


def test_no_local_only_event_leaves_a_province(store, tmp_path):
    from province import demo

    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        demo.load(gd.app)  # customers, orders, work orders, bills, tickets, catalog copies
        eventually(lambda: synced(hq, "GD", gd))
        local_topics = {n.topic for n in gd.app.recorder.select_notifications(start=1, limit=100000)} - set(
            PROVINCE_PUBLIC
        )
        assert any("TroubleTicket" in t for t in local_topics) and any(
            "ProductOrder" in t for t in local_topics
        )
        wire = {row["topic"] for row in hq.app.mirror.page("GD", 0, 100000)}
        assert wire and wire <= set(PROVINCE_PUBLIC)
        assert not wire & local_topics


def test_national_statistics_from_bills_registry_and_monthly_reports(store, tmp_path):
    from province import demo

    with cluster(store, tmp_path, ("GD",)) as nodes:
        gd, hq = nodes["GD"], nodes["HQ"]
        demo.load(gd.app)
        eventually(lambda: synced(hq, "GD", gd))
        bills = gd.app.billing.list_bills(limit=1000).items
        cycle = bills[0]["billingCycle"]
        entry = hq.app.statistics.national_statistics(cycle, "GD")[0]
        assert entry["revenueBilled"]["value"] == sum(
            b["amountDue"]["value"] for b in bills if b["billingCycle"] == cycle
        )
        paid = sum(
            b["amountDue"]["value"] - b["remainingAmount"]["value"]
            for b in bills
            if b["billingCycle"] == cycle
        )
        assert entry["revenuePaid"]["value"] == paid > 0
        assert sum(entry["customersByGrade"].values()) == 15
        month = gd.app.clock().strftime("%Y-%m")
        report = eventually(lambda: hq.app.statistics.national_statistics(month, "GD")[0]["report"])
        local = gd.app.statistics.monthly_figures(month)
        assert (
            report["ordersByState"] == local["ordersByState"] and sum(report["ordersByState"].values()) == 8
        )
        assert report["ticketsByType"] == local["ticketsByType"]
        gd.app.tickets.open_ticket(
            TicketCreate.model_validate(
                {
                    "ticketType": "fault",
                    "description": "again",
                    "relatedParty": [{"id": gd.app.customers.list_customers(limit=1).items[0]["id"]}],
                }
            ),
            BY,
        )
        gd.app.statistics.publish_monthly_report(
            month, BY
        )  # the month's report is refreshed; HQ keeps the latest
        eventually(
            lambda: (
                hq.app.statistics.national_statistics(month, "GD")[0]["report"]["ticketsByType"]
                == gd.app.statistics.monthly_figures(month)["ticketsByType"]
            )
        )
        before = hq.app.queries.dump()
        hq.app.rebuild_read_models()
        assert hq.app.queries.dump() == before

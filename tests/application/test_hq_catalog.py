"""HQ's catalog master (R-11, R-12) and its arrival in a province, without gRPC or REST: real stores, HQ's log
by hand."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eventsourcing.persistence import IntegrityError

from crm.bootstrap import open_hq, open_province
from hq.application import HqApplication
from hq.catalog.schemas import OfferingCreate, OfferingPatch
from province.application import ProvinceApplication
from replication.chain import GENESIS, LogRecord, link, recorded_at
from shared.classification import channel_of
from shared.domain.errors import IllegalTransition, InvalidValue
from tests.support.factories import BY, FORWARD, iptv
from tests.support.nodes import event_count
from tests.support.stores import node_settings
from tests.support.tmf import assert_tmf_valid

ORDER_FIELD = "productOrderItem[0].productOffering.id"


# --- the HQ application ---------------------------------------------------------------------------


def test_a_package_bundles_known_offerings_and_is_released_after_them(hq):
    with pytest.raises(InvalidValue) as unknown:
        hq.catalog.create_product(
            OfferingCreate(**iptv(id="PO-PKG-X", kind="package", bundledOffering=["PO-DC-2M", "PO-NOPE"])), BY
        )
    assert unknown.value.field == "bundledOffering"
    with pytest.raises(InvalidValue, match="retired"):
        hq.catalog.create_product(
            OfferingCreate(**iptv(id="PO-PKG-X", kind="package", bundledOffering=["PO-DC-2M", "PO-ISDN"])), BY
        )
    hq.catalog.create_product(OfferingCreate(**iptv()), BY)
    hq.catalog.create_product(
        OfferingCreate(**iptv(id="PO-PKG-TV", kind="package", bundledOffering=["PO-BB-300M", "PO-IPTV"])), BY
    )
    for status in FORWARD[:2]:
        hq.catalog.change_product("PO-PKG-TV", OfferingPatch(lifecycleStatus=status), BY)
    with pytest.raises(IllegalTransition, match="PO-IPTV"):
        hq.catalog.change_product("PO-PKG-TV", OfferingPatch(lifecycleStatus="released"), BY)
    for status in FORWARD:
        hq.catalog.change_product("PO-IPTV", OfferingPatch(lifecycleStatus=status), BY)
    assert (
        hq.catalog.change_product("PO-PKG-TV", OfferingPatch(lifecycleStatus="released"), BY)["isBundle"]
        is True
    )


# --- HQ's catalog arriving in a province ----------------------------------------------------------


@pytest.fixture
def hq_own_catalog(store: str, tmp_path: Path) -> Iterator[HqApplication]:
    """An HQ whose catalog differs from the provinces' shipped default: PO-DC-2M repriced, PO-HQ-TV new."""
    catalog = tmp_path / "hq_catalog.json"
    catalog.write_text(
        json.dumps(
            {
                "offerings": [
                    {
                        "id": "PO-DC-2M",
                        "name": "数字电路 2M",
                        "kind": "basic",
                        "lifecycleStatus": "released",
                        "circuitType": "digitalCircuit",
                        "oneTimeFee": 180000,
                        "monthlyFee": 140000,
                    },
                    {
                        "id": "PO-HQ-TV",
                        "name": "IPTV 全国版",
                        "kind": "service",
                        "lifecycleStatus": "released",
                        "oneTimeFee": 0,
                        "monthlyFee": 1500,
                    },
                ]
            }
        ),
        encoding="utf-8",
    )
    with node_settings(store, tmp_path, "HQ", tier="hq", catalog_file=catalog) as settings:
        app = open_hq(settings)
        yield app
        app.close()


def hq_log(hq: HqApplication, after: int = 0) -> list[LogRecord]:
    """HQ's public notifications after a position, as the replication link carries them (running hash from 0)."""
    records, running = [], GENESIS
    for n in hq.recorder.select_notifications(start=1, limit=100_000):
        channel = channel_of(n.topic, "hq")
        if channel is None:
            continue
        state = hq.plain(n.state)  # as it travels: decrypted
        running = link(running, n.id, n.topic, str(n.originator_id), n.originator_version, state)
        if n.id > after:
            records.append(
                LogRecord(
                    n.id,
                    n.topic,
                    str(n.originator_id),
                    n.originator_version,
                    state,
                    recorded_at(state),
                    "HQ",
                    running,
                    channel.value,
                )
            )
    return records


def deliver(province: ProvinceApplication, records: list[LogRecord], batch: int = 2000) -> None:
    for start in range(0, len(records), batch):
        chunk = records[start : start + batch]
        province.apply_replicated("HQ", chunk, chunk[-1].running_hash)


def refusal(province: ProvinceApplication, offering_id: str) -> InvalidValue:
    with pytest.raises(InvalidValue) as refused:
        province.catalog.orderable_offering(offering_id, ORDER_FIELD)
    assert refused.value.field == ORDER_FIELD
    return refused.value


@pytest.mark.parametrize("batch", [2000, 1])
def test_hq_catalog_replaces_the_shipped_default(hq_own_catalog, province, batch):
    assert (
        province.catalog.orderable_offering("PO-MOB-99", ORDER_FIELD).monthly_fee == 9900
    )  # shipped default
    deliver(province, hq_log(hq_own_catalog), batch)
    assert province.catalog.orderable_offering("PO-DC-2M", ORDER_FIELD).one_time_fee == 180000
    assert province.catalog.get_offering("PO-DC-2M")["catalogSource"] == "HQ"
    assert province.catalog.orderable_offering("PO-HQ-TV", ORDER_FIELD).monthly_fee == 1500
    stale = refusal(province, "PO-MOB-99")  # shipped, not in HQ's catalog: withdrawn
    assert stale.details["lifecycle_status"] == "retired"
    assert province.catalog.get_offering("PO-MOB-99")["catalogSource"] == "default"
    released = province.catalog.list_offerings(lifecycle_status="released", limit=1000)
    assert sorted(o["id"] for o in released.items) == ["PO-DC-2M", "PO-HQ-TV"]
    for doc in province.catalog.list_offerings(limit=1000).items:
        assert_tmf_valid(doc, "TMF620", "ProductOffering")


def test_a_product_retired_at_hq_stops_being_orderable_once_the_retirement_arrives(hq_own_catalog, province):
    hq = hq_own_catalog
    hq.catalog.create_product(OfferingCreate(**iptv()), BY)
    for status in FORWARD:
        hq.catalog.change_product("PO-IPTV", OfferingPatch(lifecycleStatus=status), BY)
    deliver(province, hq_log(hq))
    assert province.catalog.orderable_offering("PO-IPTV", ORDER_FIELD).monthly_fee == 2000
    seen = province.replication_position("HQ")[0]
    hq.catalog.change_product("PO-IPTV", OfferingPatch(lifecycleStatus="retired"), BY)
    assert (
        province.catalog.orderable_offering("PO-IPTV", ORDER_FIELD).lifecycle_status == "released"
    )  # not arrived yet
    retirement = hq_log(hq, after=seen)
    deliver(province, retirement)
    assert refusal(province, "PO-IPTV").details["lifecycle_status"] == "retired"
    last = province.catalog.get_offering("PO-IPTV")
    before = event_count(province)
    with pytest.raises(IntegrityError):  # delivered twice: the tracking record refuses it, nothing changes
        deliver(province, retirement)
    assert event_count(province) == before and province.catalog.get_offering("PO-IPTV") == last
    assert province.replication_position("HQ")[:2] == (retirement[-1].position, retirement[-1].running_hash)


def test_the_province_copy_survives_rebuild_and_restart(settings, hq_own_catalog, province):
    deliver(province, hq_log(hq_own_catalog))
    listing = province.catalog.list_offerings(limit=1000).items
    province.rebuild_read_models()
    assert province.catalog.list_offerings(limit=1000).items == listing
    province.close()
    again = open_province(settings)
    try:
        assert (
            again.catalog.list_offerings(limit=1000).items == listing
        )  # HQ's copy stays; the default is not reloaded
        assert again.catalog.orderable_offering("PO-HQ-TV", ORDER_FIELD).monthly_fee == 1500
    finally:
        again.close()


def test_non_catalog_events_from_hq_are_tracked_and_ignored(hq_own_catalog, province):
    records = hq_log(hq_own_catalog)
    last = records[-1]
    other = LogRecord(
        last.position + 1,
        "shared.domain.order:Order.Forwarded",
        last.originator_id,
        1,
        b"{}",
        last.recorded_at,
        "HQ",
        last.running_hash,
        "workOrders",
    )
    deliver(province, [*records, other])
    assert province.replication_position("HQ")[0] == other.position
    assert province.catalog.get_offering("PO-HQ-TV")["catalogSource"] == "HQ"

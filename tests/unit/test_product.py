"""HQ's Product aggregate and catalog entries on their own (R-11, R-12): one lifecycle step at a time, tariffs frozen once released, packages bundle other offerings."""

from __future__ import annotations

import pytest

from shared.domain.catalog import parse_offering
from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.product import Product
from tests.support.factories import BY, FORWARD, iptv


def test_product_moves_forward_one_step_at_a_time():
    product = Product.design(iptv(lifecycleStatus="released"), BY)
    assert product.status.value == "inDesign"
    with pytest.raises(IllegalTransition) as skipped:
        product.move_to("released", BY)
    assert skipped.value.details["current_state"] == "inDesign"
    for status in (*FORWARD, "retired"):
        product.move_to(status, BY)
    with pytest.raises(IllegalTransition) as backwards:
        product.move_to("released", BY)
    assert backwards.value.details["current_state"] == "retired"
    with pytest.raises(InvalidValue) as unknown:
        product.move_to("obsolete", BY)
    assert unknown.value.field == "lifecycleStatus"
    events = product.collect_events()
    assert [type(e).__name__ for e in events] == ["Designed", *["LifecycleChanged"] * 4]
    assert all(e.by == BY for e in events)


def test_tariff_changes_only_before_release():
    product = Product.design(iptv(), BY)
    product.change_tariff(None, 1800, BY)
    product.move_to("inDevelopment", BY)
    product.change_tariff(100, None, BY)
    assert (product.offering["oneTimeFee"], product.offering["monthlyFee"]) == (100, 1800)
    with pytest.raises(InvalidValue) as negative:
        product.change_tariff(None, -1, BY)
    assert negative.value.field == "monthlyFee"
    for status in FORWARD[1:]:
        product.move_to(status, BY)
    with pytest.raises(IllegalTransition) as frozen:
        product.change_tariff(None, 1, BY)
    assert frozen.value.details["current_state"] == "released"


@pytest.mark.parametrize(
    "entry",
    [
        iptv(kind="package", bundledOffering=["PO-DC-2M"]),
        iptv(kind="package", bundledOffering=["PO-DC-2M", "PO-DC-2M"]),
        iptv(kind="package", bundledOffering=["PO-DC-2M", "PO-IPTV"]),
        iptv(bundledOffering=["PO-DC-2M", "PO-MOB-99"]),
        iptv(kind="package", bundledOffering="PO-DC-2M"),
    ],
)
def test_only_a_package_bundles_two_or_more_other_offerings(entry):
    with pytest.raises(InvalidValue) as refused:
        parse_offering({**entry, "lifecycleStatus": "inDesign"})
    assert refused.value.field == "bundledOffering"

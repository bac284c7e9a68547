"""Which events leave a node (R-4), in one place: public types by channel (R-2); everything else stays.

A topic is `module:Class.Event`. Only the topics listed here are public; an unknown topic is local, so a
new event type never leaks by accident. Every `Customer` event must be public and every `Product` event
HQ-public: the receivers replay those aggregates whole (the library checks that each version follows the
last), so a local fact about a customer belongs in another aggregate (tests/replication/test_replication_wire.py).
"""

from __future__ import annotations

from enum import Enum


class ReplicationChannel(str, Enum):
    """The four HQ–province interfaces of R-2, plus catalog distribution downwards."""

    WORK_ORDERS = "workOrders"  # 工单接口 (cross-province orders, R-19)
    BUSINESS_DATA = "businessData"  # 业务资料接口
    CROSS_PROVINCE_BILLS = "crossProvinceBills"  # 跨省账单接口
    STATISTICS = "statistics"  # 统计报表接口
    CATALOG = "catalog"  # HQ → provinces


_CUSTOMER = "shared.domain.customer:Customer"
_BILLING = "shared.domain.billing"
_PRODUCT = "shared.domain.product:Product"
_CROSS = "shared.domain.cross_province"

PROVINCE_PUBLIC: dict[str, ReplicationChannel] = {
    **{
        f"{_CUSTOMER}.{name}": ReplicationChannel.BUSINESS_DATA
        for name in (
            "Registered",
            "Renamed",
            "ContactsChanged",
            "IndustryChanged",
            "StatusChanged",
            "GradeChanged",
            "ManagerAssigned",
            "MemberAdded",
            "MemberRemoved",
        )
    },
    **{
        f"{_BILLING}:BillingAccount.{name}": ReplicationChannel.BUSINESS_DATA
        for name in ("Opened", "Billed", "PaymentReceived")
    },
    **{
        f"{_BILLING}:CustomerBill.{name}": ReplicationChannel.CROSS_PROVINCE_BILLS
        for name in ("Issued", "Sent", "PaymentApplied")
    },
    f"{_BILLING}:Payment.Received": ReplicationChannel.CROSS_PROVINCE_BILLS,
    "shared.domain.statistics:MonthlyReport.Published": ReplicationChannel.STATISTICS,
    "shared.domain.statistics:MonthlyReport.Republished": ReplicationChannel.STATISTICS,
    **{
        f"{_CROSS}:CrossProvinceRequest.{name}": ReplicationChannel.WORK_ORDERS
        for name in ("Submitted", "CancellationRequested", "HomeStateChanged")
    },
    **{
        f"{_CROSS}:DeliveryLeg.{name}": ReplicationChannel.WORK_ORDERS
        for name in ("Received", "WorkProgressed", "CancellationAnswered")
    },
    "shared.domain.signing_key:SigningKey.Published": ReplicationChannel.BUSINESS_DATA,
}
"""What a province sends up. Not listed, so never sent: catalog copies, orders and work orders themselves
(only a cross-province order's request and a delivering province's reports leave), trouble tickets, a billing
account's charge details (`ChargePosted`), copies of what HQ sent, and any opportunity, internal note or
service activity. A province's signing key goes up (its public half) for HQ to distribute."""

HQ_PUBLIC: dict[str, ReplicationChannel] = {
    **{
        f"{_PRODUCT}.{name}": ReplicationChannel.CATALOG
        for name in ("Designed", "TariffChanged", "LifecycleChanged")
    },
    **{
        f"shared.domain.route_table:RouteTable.{name}": ReplicationChannel.CATALOG
        for name in ("Recorded", "Changed")
    },
    **{
        f"{_CROSS}:CrossProvinceOrder.{name}": ReplicationChannel.WORK_ORDERS
        for name in ("Forwarded", "LegProgressed", "CancellationForwarded", "CancellationAnswered")
    },
    **{
        f"shared.domain.group_share:GroupShare.{name}": ReplicationChannel.BUSINESS_DATA
        for name in ("Shared", "Updated", "Withdrawn")
    },
    **{
        f"shared.domain.settlement:SettlementStatement.{name}": ReplicationChannel.CROSS_PROVINCE_BILLS
        for name in ("Issued", "Reissued")
    },
    "shared.domain.settlement:BillApportionment.Recorded": ReplicationChannel.CROSS_PROVINCE_BILLS,
    **{
        f"shared.domain.staff:StaffMember.{name}": ReplicationChannel.BUSINESS_DATA
        for name in (
            "Enrolled",
            "PasswordSet",
            "RoleChanged",
            "Withdrawn",
            "Transferred",
            "Republished",
            "Disabled",
            "Enabled",
        )
    },
    **{
        f"shared.domain.signing_key:TrustedKey.{name}": ReplicationChannel.BUSINESS_DATA
        for name in ("Trusted", "Distrusted")
    },
}
"""What HQ sends down: the catalog and its route table (the provinces it routes to) to every province; everything
else to the one province its event names in `destination` (forwarded work and cancellations, relayed states and
answers, group shares, settlement statements, each bill's apportionment to its home province, the staff
directory's records of a province's staff with their password verifiers; "*" for staff who act on every node,
without verifiers, and for the province signing keys HQ trusts). HQ's routing records, ledger entries (but as a
bill's apportionment) and rules, and the verifiers of HQ's own staff, stay at HQ."""

BROADCAST = frozenset({ReplicationChannel.CATALOG})


def public_topics(tier: str) -> dict[str, ReplicationChannel]:
    return HQ_PUBLIC if tier == "hq" else PROVINCE_PUBLIC


def is_public(topic: str, tier: str = "province") -> bool:
    return topic in public_topics(tier)


def channel_of(topic: str, tier: str = "province") -> ReplicationChannel | None:
    return public_topics(tier).get(topic)


def is_broadcast(topic: str, tier: str) -> bool:
    """Sent to every follower; any other public record of HQ goes to the one province it is addressed to."""
    return channel_of(topic, tier) in BROADCAST

"""Roles and what each may do (职责与权限, R-29): the one table of role × permission, and where a role acts.

Every REST operation names one permission (shared/api/security.py); the OpenAPI lists the roles that hold it.
"""

from __future__ import annotations

from enum import Enum


class Role(str, Enum):
    CLERK = "clerk"  # province business hall / call centre staff
    CUSTOMER_MANAGER = "customerManager"  # 客户经理: changes only the customers and groups they manage
    PROVINCE_ADMIN = "provinceAdmin"
    BILLING_CLERK = "billingClerk"
    HQ_ANALYST = "hqAnalyst"  # national view and statistics, read-only
    CATALOG_ADMIN = "catalogAdmin"  # HQ's catalog only
    SETTLEMENT_CLERK = "settlementClerk"  # HQ's settlement ledger
    AUDITOR = "auditor"  # reads everything on every node, history and audit included; changes nothing
    SYSTEM_ADMIN = "systemAdmin"  # staff directory, replication operations; no business data


class Permission(str, Enum):
    READ_CUSTOMERS = "readCustomers"
    WRITE_CUSTOMERS = "writeCustomers"
    READ_ORDERS = "readOrders"
    WRITE_ORDERS = "writeOrders"
    WORK_ORDERS = "workOrders"  # move work orders
    READ_BILLING = "readBilling"
    RUN_BILLING = "runBilling"  # bill runs, sending bills
    TAKE_PAYMENTS = "takePayments"
    READ_TICKETS = "readTickets"
    WRITE_TICKETS = "writeTickets"
    READ_CATALOG = "readCatalog"
    MANAGE_CATALOG = "manageCatalog"
    PUBLISH_STATISTICS = "publishStatistics"
    READ_NATIONAL = "readNational"  # HQ: national customers, statistics, the order desk
    READ_SETTLEMENT = "readSettlement"
    MANAGE_SETTLEMENT = "manageSettlement"
    SEE_PERSONAL_DATA = "seePersonalData"  # certificate and phone numbers in full, each read recorded
    READ_REPLICATION = "readReplication"
    AUDIT = "audit"  # mirrors, proofs, history
    OPERATE = (
        "operate"  # resume a follower, trigger an audit (it may stop one whose upstream's history changed)
    )
    MANAGE_STAFF = "manageStaff"


P = Permission
PROVINCE_READS = frozenset(
    {
        P.READ_CUSTOMERS,
        P.READ_ORDERS,
        P.READ_BILLING,
        P.READ_TICKETS,
        P.READ_CATALOG,
        P.READ_SETTLEMENT,
        P.READ_REPLICATION,
    }
)
EVERY_READ = PROVINCE_READS | {P.READ_NATIONAL, P.AUDIT}

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.CLERK: PROVINCE_READS | {P.WRITE_CUSTOMERS, P.WRITE_ORDERS, P.WORK_ORDERS, P.WRITE_TICKETS},
    Role.CUSTOMER_MANAGER: PROVINCE_READS
    | {P.WRITE_CUSTOMERS, P.WRITE_ORDERS, P.WRITE_TICKETS, P.SEE_PERSONAL_DATA},
    Role.PROVINCE_ADMIN: PROVINCE_READS
    | {
        P.WRITE_CUSTOMERS,
        P.WRITE_ORDERS,
        P.WORK_ORDERS,
        P.WRITE_TICKETS,
        P.RUN_BILLING,
        P.TAKE_PAYMENTS,
        P.PUBLISH_STATISTICS,
        P.SEE_PERSONAL_DATA,
    },
    Role.BILLING_CLERK: frozenset(
        {
            P.READ_CUSTOMERS,
            P.READ_ORDERS,
            P.READ_BILLING,
            P.READ_CATALOG,
            P.READ_SETTLEMENT,
            P.RUN_BILLING,
            P.TAKE_PAYMENTS,
        }
    ),
    Role.HQ_ANALYST: frozenset({P.READ_NATIONAL, P.READ_CATALOG, P.READ_SETTLEMENT, P.READ_REPLICATION}),
    Role.CATALOG_ADMIN: frozenset({P.READ_CATALOG, P.MANAGE_CATALOG, P.READ_REPLICATION}),
    Role.SETTLEMENT_CLERK: frozenset(
        {P.READ_NATIONAL, P.READ_CATALOG, P.READ_SETTLEMENT, P.MANAGE_SETTLEMENT, P.READ_REPLICATION}
    ),
    Role.AUDITOR: EVERY_READ | {P.SEE_PERSONAL_DATA},  # changes nothing, so no OPERATE
    Role.SYSTEM_ADMIN: frozenset({P.READ_REPLICATION, P.OPERATE, P.MANAGE_STAFF}),
}
"""The role × permission table: a role holds exactly these permissions, wherever it may act."""

PROVINCE_ROLES = frozenset({Role.CLERK, Role.CUSTOMER_MANAGER, Role.PROVINCE_ADMIN, Role.BILLING_CLERK})
HQ_ROLES = frozenset({Role.HQ_ANALYST, Role.CATALOG_ADMIN, Role.SETTLEMENT_CLERK})
EVERY_NODE_ROLES = frozenset({Role.AUDITOR, Role.SYSTEM_ADMIN})


def acts_at(role: Role, province: str, node_code: str, node_tier: str) -> bool:
    """Province staff act only on their own province's node; HQ staff only at HQ; auditors and system
    administrators on every node."""
    if role in EVERY_NODE_ROLES:
        return True
    if role in HQ_ROLES:
        return node_tier == "hq"
    return node_tier == "province" and province == node_code


def roles_with(permission: Permission, node_tier: str) -> list[str]:
    """The roles that may perform an operation needing `permission` on a node of this tier (for the OpenAPI)."""
    home = PROVINCE_ROLES if node_tier == "province" else HQ_ROLES
    return [r.value for r in Role if permission in GRANTS[r] and (r in home or r in EVERY_NODE_ROLES)]

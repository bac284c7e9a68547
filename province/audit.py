"""What the audit surface shows at a province: each resource with the aggregates behind it."""

from __future__ import annotations

from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.billing import BillingAccount, CustomerBill, Payment
from shared.domain.catalog import CatalogEntry
from shared.domain.customer import Customer
from shared.domain.group_share import RemoteGroup
from shared.domain.order import ProductOrder
from shared.domain.settlement import ReceivedStatement
from shared.domain.ticket import TroubleTicket
from shared.domain.work_order import WorkOrder

AUDITED = (
    AuditedResource("customer", (Customer, RemoteGroup), P.READ_CUSTOMERS),
    AuditedResource("productOrder", (ProductOrder,), P.READ_ORDERS),
    AuditedResource("serviceOrder", (WorkOrder,), P.READ_ORDERS),
    AuditedResource("billingAccount", (BillingAccount,), P.READ_BILLING),
    AuditedResource("customerBill", (CustomerBill,), P.READ_BILLING),
    AuditedResource("payment", (Payment,), P.READ_BILLING),
    AuditedResource("troubleTicket", (TroubleTicket,), P.READ_TICKETS),
    AuditedResource("productOffering", (CatalogEntry,), P.READ_CATALOG, CatalogEntry.create_id),
    AuditedResource("settlementStatement", (ReceivedStatement,), P.READ_SETTLEMENT),
)

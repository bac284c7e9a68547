"""The catalog master's read model: HQ's products as offerings (the table every tier keeps), and its audit surface."""

from __future__ import annotations

from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.product import Product, product_id
from shared.offerings import OFFERING_TABLE, offering_row
from shared.persistence.readmodel import Operation

TABLES = (OFFERING_TABLE,)


def project_product(p: Product) -> list[Operation]:
    return [offering_row(p.offering, "HQ")]


PROJECTORS = {Product: project_product}
AUDITED = (AuditedResource("productOffering", (Product,), P.READ_CATALOG, product_id),)

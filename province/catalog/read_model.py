"""The catalog copy's read model: the offerings table shared with HQ, one row per `CatalogEntry`."""

from __future__ import annotations

from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.catalog import CatalogEntry
from shared.offerings import OFFERING_TABLE, offering_row
from shared.persistence.readmodel import Operation

TABLES = (OFFERING_TABLE,)


def project_entry(entry: CatalogEntry) -> list[Operation]:
    return [offering_row(entry.offering, entry.source)]


PROJECTORS = {CatalogEntry: project_entry}
AUDITED = (AuditedResource("productOffering", (CatalogEntry,), P.READ_CATALOG, CatalogEntry.create_id),)

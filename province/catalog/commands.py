"""The province's read-only copy of the product catalog (R-11, R-12): shipped default until HQ's arrives.

Each offering is one `CatalogEntry` aggregate in the province's own store (source "default" or "HQ"), so a
restart or `rebuild_read_models` reproduces the copy. HQ's catalog replaces the shipped one:
- an HQ `Product` event carries the whole offering afterwards, so the entry with the same id is replaced by it;
- with the first HQ catalog events the province applies, every shipped default offering that is not in them
  is retired in the copy (source stays "default"), so only HQ's catalog is orderable from then on. HQ seeds
  its master from the same shipped file, so those ids normally arrive in that same first batch; should a
  first batch hold only part of HQ's catalog, a retired default comes back when HQ's version of it arrives.
A product retired at HQ is retired here when that event arrives, and `orderable_offering` refuses it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TypeAlias

from shared.application import CrmApplication
from shared.domain.catalog import (
    CatalogEntry,
    LifecycleStatus,
    OfferingTerms,
    parse_offering,
    terms_of,
)
from shared.domain.errors import InvalidValue
from shared.domain.operator import SYSTEM
from shared.domain.product import Product
from shared.domain.values import text
from shared.offerings import OfferingQueries
from shared.persistence.queries import equal

DEFAULT, HQ = "default", "HQ"


# HQ's catalog events: each carries the offering whole
ProductChange: TypeAlias = Product.Designed | Product.TariffChanged | Product.LifecycleChanged


class CatalogCommands(OfferingQueries):
    """The catalog copy's commands and queries. Provinces never create or change offerings themselves."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store
        self.queries = store.queries  # what OfferingQueries (shared with HQ) reads through
        self.document = store.document

    def load_if_empty(self) -> None:
        """At start-up: a province that holds no catalog yet takes the shipped one."""
        if self.store.queries.page("product_offering", limit=1).total == 0:
            self.load_default_catalog()

    def load_default_catalog(self) -> int:
        document = json.loads(self.store.settings.catalog_file.read_text(encoding="utf-8"))
        entries = []
        for raw in document["offerings"]:
            offering = parse_offering(raw)
            entries.append(CatalogEntry(offering["id"], offering, DEFAULT, SYSTEM))
        self.store.record(*entries)
        return len(entries)

    def apply_hq_catalog(self, events: list[ProductChange]) -> None:
        """HQ's catalog events of a replicated batch (decoded, in log order) change the copy, in its unit of work."""
        self.store.created(*self.hq_catalog_entries(events))

    def hq_catalog_entries(self, events: Iterable[ProductChange]) -> list[CatalogEntry]:
        """The entries HQ's catalog events (decoded `Product` events, in log order) change; to be saved together."""
        changed: dict[str, CatalogEntry] = {}
        first_from_hq = self.store.queries.page("product_offering", equal(("source", HQ)), limit=1).total == 0
        for change in events:
            offering = change.offering
            entry = changed.get(offering["id"]) or self._catalog_entry(offering["id"])
            if entry is None:
                entry = CatalogEntry(offering["id"], offering, HQ, change.by)
            else:
                entry.replace(offering, HQ, change.by)
            changed[offering["id"]] = entry
        if first_from_hq and changed:
            for row in self.store.queries.rows(
                "SELECT id FROM {product_offering} WHERE source = ?", [DEFAULT]
            ):
                if row["id"] not in changed:
                    entry = self._catalog_entry(row["id"])
                    assert entry is not None, "a catalog row is projected from its entry"
                    retired = {**entry.offering, "lifecycleStatus": LifecycleStatus.RETIRED.value}
                    entry.replace(retired, DEFAULT, SYSTEM)
                    changed[row["id"]] = entry
        return list(changed.values())

    def _catalog_entry(self, offering_id: str) -> CatalogEntry | None:
        return self.store.find(CatalogEntry, CatalogEntry.create_id(offering_id))

    def orderable_offering(self, offering_id: object, field: str) -> OfferingTerms:
        """The terms of a released offering; unknown or not released is a 400 naming the field."""
        if not isinstance(offering_id, str) or not offering_id:
            raise InvalidValue("is required: the id of a catalog offering", field=field)
        entry = self._catalog_entry(text(offering_id, field, max_length=64))
        if entry is None:
            raise InvalidValue(f"no offering '{offering_id}' in the catalog", field=field)
        terms = terms_of(entry.offering)
        if not terms.orderable:
            raise InvalidValue(
                f"offering '{offering_id}' is {terms.lifecycle_status}; only released offerings can be ordered",
                field=field,
                lifecycle_status=terms.lifecycle_status,
            )
        return terms

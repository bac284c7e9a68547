"""The catalog master's commands and queries.

The `Product` events (`shared.domain.product:Product.*`) are HQ's public catalog channel
(shared/classification.py); a province applies them to its copy of each offering (province/catalog).

Rules beyond one aggregate: a package bundles existing, not retired offerings, and is released only when
every offering it bundles is released.
"""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from shared.application import CrmApplication, IdempotencyKey, Outcome
from shared.domain.catalog import LIFECYCLE_ORDER, LifecycleStatus, parse_offering
from shared.domain.errors import Conflict, IllegalTransition, InvalidValue, NotFound
from shared.domain.operator import SYSTEM, Operator
from shared.domain.product import Product, product_id
from shared.domain.values import only_fields
from shared.offerings import tmf_offering
from shared.persistence.queries import Filter, Page, equal

PATCHABLE = ("lifecycleStatus", "oneTimeFee", "monthlyFee")


class HqCatalogCommands:
    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def adopt_shipped_catalog(self) -> None:
        """A new HQ starts with the shipped catalog as its own products, each taken to its shipped status."""
        if self.store.queries.page("product_offering", limit=1).total == 0:
            document = json.loads(self.store.settings.catalog_file.read_text(encoding="utf-8"))
            products = []
            for raw in document["offerings"]:
                target = parse_offering(raw)["lifecycleStatus"]
                product = Product.design(raw, SYSTEM)
                for status in LIFECYCLE_ORDER[1 : LIFECYCLE_ORDER.index(LifecycleStatus(target)) + 1]:
                    product.move_to(status.value, SYSTEM)
                products.append(product)
            self.store.record(*products)

    def create_product(
        self, data: dict[str, Any], by: Operator, idempotency: IdempotencyKey | None = None
    ) -> dict[str, Any]:
        product = Product.design(data, by)
        if self._product(product.offering["id"]) is not None:
            raise Conflict("an offering with this id exists", field="id", existing_id=product.offering["id"])
        for bundled_id in product.offering["bundledOffering"]:
            bundled = self._product(bundled_id)
            if bundled is None or bundled.status is LifecycleStatus.RETIRED:
                state = "retired" if bundled else "unknown"
                raise InvalidValue(f"bundles {state} offering '{bundled_id}'", field="bundledOffering")
        document = tmf_offering(product.offering, "HQ")
        self.store.record(product, idempotency=idempotency, outcome=Outcome(201, document))
        return document

    def change_product(self, offering_id: str, patch: dict[str, Any], by: Operator) -> dict[str, Any]:
        """A merge patch: the tariff (before release) and/or one lifecycle step forward."""
        only_fields(patch, PATCHABLE)
        product = self._product(offering_id)
        if product is None:
            raise NotFound(f"no offering '{offering_id}'", field="id")
        for fee in ("oneTimeFee", "monthlyFee"):
            if (
                fee in patch and patch[fee] is None
            ):  # a merge patch's null removes; a tariff always has its fees
                raise InvalidValue(
                    "cannot be removed: a fee is an integer amount in fen (0 for none)", field=fee
                )
        if "oneTimeFee" in patch or "monthlyFee" in patch:
            product.change_tariff(patch.get("oneTimeFee"), patch.get("monthlyFee"), by)
        if "lifecycleStatus" in patch:
            releasing = product.status is LifecycleStatus.TARIFF_APPROVAL
            if releasing and patch["lifecycleStatus"] == LifecycleStatus.RELEASED.value:
                self._check_bundle_released(product)
            product.move_to(patch["lifecycleStatus"], by)
        self.store.record(product)
        return tmf_offering(product.offering, "HQ")

    # --- queries ---------------------------------------------------------------------------------

    def list_offerings(
        self,
        *,
        lifecycle_status: str | None = None,
        kind: str | None = None,
        name: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = equal(("lifecycle_status", lifecycle_status), ("kind", kind))
        if name:
            filters.append(Filter("name LIKE ?", (f"%{name}%",)))
        return self.store.queries.page("product_offering", filters, offset=offset, limit=limit)

    def get_offering(self, offering_id: str) -> dict[str, Any]:
        return self.store.document("product_offering", offering_id, "offering")

    def _check_bundle_released(self, package: Product) -> None:
        for bundled_id in package.offering["bundledOffering"]:
            bundled = self._product(bundled_id)
            if bundled is None or bundled.status is not LifecycleStatus.RELEASED:
                raise IllegalTransition(
                    f"a package is released only when all it bundles are; '{bundled_id}' is "
                    f"{bundled.status.value if bundled else 'unknown'}",
                    field="lifecycleStatus",
                    current_state=package.status.value,
                )

    def _product(self, offering_id: str) -> Product | None:
        try:
            product: Product = self.store.repository.get(product_id(offering_id))
        except AggregateNotFoundError:
            return None
        return product

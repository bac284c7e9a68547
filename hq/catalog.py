"""HQ's catalog master (R-11, R-12): products and packages are created and moved through their lifecycle here only.

Wiring (hq/application.py does this): mix `HqCatalogCommands` into the HQ application before `CrmApplication`,
add `TABLES` to its `tables` and `PROJECTORS` to its `projectors`, call `self.on_start()` once the store is open
(a new HQ then takes the shipped catalog as its own products, each at its shipped status), and mount
`hq.api.catalog_routes.router`. The `Product` events (`shared.domain.product:Product.*`) are HQ's public catalog
channel (shared/classification.py); a province applies them with `CatalogCommands.apply_hq_catalog`
(province/catalog.py), which replaces its copy of each offering with HQ's.

Rules beyond one aggregate: a package bundles existing, not retired offerings, and is released only when
every offering it bundles is released.
"""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from shared.api.offering import tmf_offering
from shared.application import IdempotencyKey, Outcome
from shared.domain.catalog import LIFECYCLE_ORDER, LifecycleStatus, parse_offering
from shared.domain.errors import Conflict, IllegalTransition, InvalidValue, NotFound
from shared.domain.operator import SYSTEM, Operator
from shared.domain.product import Product, product_id
from shared.domain.values import only_fields
from shared.offerings import OFFERING_TABLE, OfferingQueries, offering_row
from shared.persistence.readmodel import Operation

TABLES = (OFFERING_TABLE,)
PATCHABLE = ("lifecycleStatus", "oneTimeFee", "monthlyFee")


def project_product(p: Product) -> list[Operation]:
    return [offering_row(p.offering, "HQ")]


PROJECTORS = {Product: project_product}


class HqCatalogCommands(OfferingQueries):
    def on_start(self) -> None:
        """A new HQ starts with the shipped catalog as its own products, each taken to its shipped status."""
        if self.queries.page("product_offering", limit=1).total == 0:
            document = json.loads(self.settings.catalog_file.read_text(encoding="utf-8"))
            products = []
            for raw in document["offerings"]:
                target = parse_offering(raw)["lifecycleStatus"]
                product = Product.design(raw, SYSTEM)
                for status in LIFECYCLE_ORDER[1 : LIFECYCLE_ORDER.index(LifecycleStatus(target)) + 1]:
                    product.move_to(status.value, SYSTEM)
                products.append(product)
            self.record(*products)

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
        self.record(product, idempotency=idempotency, outcome=Outcome(201, document))
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
        self.record(product)
        return tmf_offering(product.offering, "HQ")

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
            return self.repository.get(product_id(offering_id))
        except AggregateNotFoundError:
            return None

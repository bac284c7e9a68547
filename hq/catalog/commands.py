"""The catalog master's commands and queries.

The `Product` events (`shared.domain.product:Product.*`) are HQ's public catalog channel
(shared/classification.py); a province applies them to its copy of each offering (province/catalog).

Rules beyond one aggregate: a package bundles existing, not retired offerings, and is released only when
every offering it bundles is released.
"""

from __future__ import annotations

import json

from eventsourcing.application import AggregateNotFoundError

from hq.catalog.schemas import OfferingCreate, OfferingPatch
from shared.application import CrmApplication, IdempotencyKey, Outcome
from shared.domain.catalog import LIFECYCLE_ORDER, LifecycleStatus, parse_offering
from shared.domain.errors import Conflict, IllegalTransition, InvalidValue, NotFound
from shared.domain.json_types import JSONObject
from shared.domain.operator import SYSTEM, Operator
from shared.domain.product import Product, product_id
from shared.offerings import OfferingQueries, tmf_offering


class HqCatalogCommands:
    """The master's commands; its reads are the offering queries both tiers share (`offerings`)."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store
        self.offerings = OfferingQueries(store)

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
        self, request: OfferingCreate, by: Operator, idempotency: IdempotencyKey | None = None
    ) -> JSONObject:
        """The request's shape is its model's; what an offering is (a package's bundle, say) is the domain's."""
        product = Product.design(request.model_dump(mode="json", exclude_none=True), by)
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

    def change_product(self, offering_id: str, patch: OfferingPatch, by: Operator) -> JSONObject:
        """A merge patch (its fields and their nulls are the model's): the tariff (before release) and/or one
        lifecycle step forward."""
        product = self._product(offering_id)
        if product is None:
            raise NotFound(f"no offering '{offering_id}'", field="id")
        if patch.oneTimeFee is not None or patch.monthlyFee is not None:
            product.change_tariff(patch.oneTimeFee, patch.monthlyFee, by)
        if patch.lifecycleStatus is not None:
            releasing = product.status is LifecycleStatus.TARIFF_APPROVAL
            if releasing and patch.lifecycleStatus is LifecycleStatus.RELEASED:
                self._check_bundle_released(product)
            product.move_to(patch.lifecycleStatus.value, by)
        self.store.record(product)
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
            product: Product = self.store.repository.get(product_id(offering_id))
        except AggregateNotFoundError:
            return None
        return product

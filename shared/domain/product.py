"""HQ's product catalog (R-11, R-12): products and packages with tariffs, moved through their lifecycle.

Every event carries the whole offering as it stands afterwards, so a province replaces its copy from the
event alone.
"""

from __future__ import annotations

from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.catalog import LIFECYCLE_ORDER, LifecycleStatus, parse_offering
from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.operator import Operator
from shared.domain.values import fen

LIFECYCLE = LIFECYCLE_ORDER
TARIFF_EDITABLE = frozenset(
    {LifecycleStatus.IN_DESIGN, LifecycleStatus.IN_DEVELOPMENT, LifecycleStatus.TARIFF_APPROVAL}
)


def product_id(offering_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:product:{offering_id}")


class Product(Aggregate):
    """One HQ product or product package (kind "package", with its bundled offerings) and its tariff model.

    Lifecycle (R-12), one step forward at a time: inDesign → inDevelopment → tariffApproval → released →
    retired; a skipped or backward step is an IllegalTransition naming the current state. The tariff (one-time
    and monthly fee, integer fen) may change only before release: a released or retired product's price is
    what customers were sold, so a new tariff means a new product. Only released products can be ordered.
    """

    @staticmethod
    def create_id(offering: dict[str, Any], by: Operator) -> UUID:
        return product_id(offering["id"])

    @classmethod
    def design(cls, data: object, by: Operator) -> Product:
        """A new product starts in design (设计), whatever status the request names."""
        if not isinstance(data, dict):
            raise InvalidValue("must be an object", field="productOffering")
        offering = parse_offering({**data, "lifecycleStatus": LifecycleStatus.IN_DESIGN.value})
        return cls(offering=offering, by=by)

    class Designed(Aggregate.Created):
        offering: dict[str, Any]
        by: Operator

    @event(Designed)
    def __init__(self, offering: dict[str, Any], by: Operator) -> None:
        self.offering = offering

    @property
    def status(self) -> LifecycleStatus:
        return LifecycleStatus(self.offering["lifecycleStatus"])

    def change_tariff(self, one_time_fee: object, monthly_fee: object, by: Operator) -> None:
        if self.status not in TARIFF_EDITABLE:
            raise IllegalTransition(
                f"a {self.status.value} product's tariff cannot change; design a new product",
                field="productOfferingPrice",
                current_state=self.status.value,
            )
        changed = {
            **self.offering,
            "oneTimeFee": fen(one_time_fee, "oneTimeFee")
            if one_time_fee is not None
            else self.offering["oneTimeFee"],
            "monthlyFee": fen(monthly_fee, "monthlyFee")
            if monthly_fee is not None
            else self.offering["monthlyFee"],
        }
        if changed != self.offering:
            self._tariff_changed(offering=changed, by=by)

    class TariffChanged(Aggregate.Event):
        offering: dict[str, Any]
        by: Operator

    @event(TariffChanged)
    def _tariff_changed(self, offering: dict[str, Any], by: Operator) -> None:
        self.offering = offering

    def move_to(self, status: object, by: Operator) -> None:
        """One step forward at a time: design → development → tariff approval → released → retired."""
        try:
            target = LifecycleStatus(status)
        except ValueError:
            allowed = ", ".join(s.value for s in LIFECYCLE)
            raise InvalidValue(
                f"unknown lifecycleStatus '{status}'; one of {allowed}", field="lifecycleStatus"
            ) from None
        if target is self.status:
            return
        if LIFECYCLE.index(target) != LIFECYCLE.index(self.status) + 1:
            raise IllegalTransition(
                f"a product in {self.status.value} cannot move to {target.value}",
                field="lifecycleStatus",
                current_state=self.status.value,
            )
        self._lifecycle_changed(
            from_status=self.status.value, offering={**self.offering, "lifecycleStatus": target.value}, by=by
        )

    class LifecycleChanged(Aggregate.Event):
        from_status: str
        offering: dict[str, Any]
        by: Operator

    @event(LifecycleChanged)
    def _lifecycle_changed(self, from_status: str, offering: dict[str, Any], by: Operator) -> None:
        self.offering = offering

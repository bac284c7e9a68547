"""Product catalog terms an order needs (产品目录). HQ owns the catalog (R-11); provinces hold a copy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.errors import InvalidValue
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.values import fen, parse_enum, text


class OfferingKind(str, Enum):
    BASIC = "basic"  # 基础产品
    SP_CP = "spcp"  # SP/CP 产品
    SERVICE = "service"  # 服务产品
    PACKAGE = "package"  # 产品包


class LifecycleStatus(str, Enum):
    """R-12; TMF620 `lifecycleStatus` values."""

    IN_DESIGN = "inDesign"
    IN_DEVELOPMENT = "inDevelopment"
    TARIFF_APPROVAL = "tariffApproval"
    RELEASED = "released"
    RETIRED = "retired"


LIFECYCLE_ORDER = tuple(LifecycleStatus)


class CircuitType(str, Enum):
    """R-16 columns: the provisioning due date depends on the circuit type."""

    DIGITAL_CIRCUIT = "digitalCircuit"
    DDN = "ddn"
    FR_ATM = "frAtm"


@dataclass(frozen=True)
class OfferingTerms:
    """What an order takes from the catalog when it is accepted; fees are integer fen."""

    id: str
    name: str
    kind: str
    lifecycle_status: str
    one_time_fee: int
    monthly_fee: int
    circuit_type: str | None = None

    @property
    def orderable(self) -> bool:
        return self.lifecycle_status == LifecycleStatus.RELEASED.value


def parse_offering(entry: object) -> dict[str, Any]:
    """Validate one catalog entry (from the shipped file or from HQ) into the stored form."""
    if not isinstance(entry, dict):
        raise InvalidValue("must be an object", field="productOffering")
    kind = parse_enum(OfferingKind, entry.get("kind"), "kind").value
    status = parse_enum(LifecycleStatus, entry.get("lifecycleStatus"), "lifecycleStatus").value
    circuit = entry.get("circuitType")
    if circuit is not None:
        circuit = parse_enum(CircuitType, circuit, "circuitType").value
    offering_id = text(entry.get("id"), "id", max_length=64)
    bundled = _bundled(entry.get("bundledOffering"), kind, offering_id)
    return {
        "id": offering_id,
        "name": text(entry.get("name"), "name"),
        "kind": kind,
        "lifecycleStatus": status,
        "circuitType": circuit,
        "oneTimeFee": fen(entry.get("oneTimeFee"), "oneTimeFee"),
        "monthlyFee": fen(entry.get("monthlyFee"), "monthlyFee"),
        "description": text(entry.get("description"), "description", max_length=2000, required=False),
        "bundledOffering": bundled,
    }


def _bundled(value: object, kind: str, offering_id: str) -> list[str]:
    """A package (产品包) bundles two or more other offerings, each once; any other kind bundles none."""
    bundled = value or []
    if not isinstance(bundled, list) or not all(isinstance(b, str) and b for b in bundled):
        raise InvalidValue("must be a list of offering ids", field="bundledOffering")
    if kind != OfferingKind.PACKAGE.value:
        if bundled:
            raise InvalidValue("only a package bundles other offerings", field="bundledOffering")
        return []
    if len(bundled) < 2 or len(set(bundled)) != len(bundled) or offering_id in bundled:
        raise InvalidValue(
            "a package bundles two or more other offerings, each once", field="bundledOffering"
        )
    return list(bundled)


def terms_of(offering: dict[str, Any]) -> OfferingTerms:
    return OfferingTerms(
        id=offering["id"],
        name=offering["name"],
        kind=offering["kind"],
        lifecycle_status=offering["lifecycleStatus"],
        one_time_fee=offering["oneTimeFee"],
        monthly_fee=offering["monthlyFee"],
        circuit_type=offering.get("circuitType"),
    )


class CatalogEntry(Aggregate):
    """A province's read-only copy of one offering; its source is the shipped default catalog or HQ."""

    @staticmethod
    def create_id(offering_id: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"crm:catalog-entry:{offering_id}")

    class Copied(Aggregate.Created):
        offering_id: str
        offering: JSONObject
        source: str
        by: Operator

    @event(Copied)
    def __init__(self, offering_id: str, offering: JSONObject, source: str, by: Operator) -> None:
        self.offering_id = offering_id
        self.offering = offering
        self.source = source

    def replace(self, offering: JSONObject, source: str, by: Operator) -> None:
        if offering != self.offering or source != self.source:
            self._replaced(offering=offering, source=source, by=by)

    class Replaced(Aggregate.Event):
        offering: JSONObject
        source: str
        by: Operator

    @event(Replaced)
    def _replaced(self, offering: JSONObject, source: str, by: Operator) -> None:
        self.offering = offering
        self.source = source

    @property
    def terms(self) -> OfferingTerms:
        return terms_of(self.offering)

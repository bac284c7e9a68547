"""Product catalog terms an order needs (产品目录). HQ owns the catalog (R-11); provinces hold a copy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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

"""Response shapes of the national registry's API."""

from __future__ import annotations

from shared.api.models import Identified, Part, Reference


class ProvincialCustomer(Part):
    province: str
    id: str
    name: str | None = None
    status: str | None = None
    grade: str | None = None
    customerKind: str | None = None
    industry: str | None = None
    customerManager: dict[str, object] | None = None
    certificate: dict[str, str] | None = None
    nationalId: str | None = None
    registeredAt: str | None = None


class NationalCustomer(Identified):
    """One customer nationally (deduplicated by certificate), with every province's part."""

    name: str | None = None
    status: str | None = None
    customerKind: str | None = None
    grade: str | None = None
    starLevel: int | None = None
    certificate: dict[str, str] | None = None
    industry: str | None = None
    homeProvince: str | None = None
    provinces: list[str] | None = None
    engagedParty: Reference | None = None
    provincialCustomer: list[ProvincialCustomer] | None = None
    member: list[dict[str, object]] | None = None

"""The TMF622 ProductOrder document, as a province answers it and as HQ's cross-province desk shows it."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.api.models import Identified, Money, Part, Price, Reference, RelatedParty


class OrderItem(Part):
    id: str
    action: str | None = None
    quantity: int | None = None
    state: str | None = None
    productOffering: Reference | None = None
    itemPrice: list[Price] | None = None
    circuitType: str | None = None
    listOneTimeFee: Money | None = None
    deliveringProvince: str | None = None
    stateReason: str | None = None
    groupMember: dict[str, Any] | None = None
    compensation: Money | None = None


class Leg(Part):
    deliveringProvince: str
    state: str | None = None
    stateReason: str | None = None
    completionDate: str | None = None
    forwarded: bool | None = None
    lastUpdate: str | None = None
    workHistory: list[dict[str, Any]] | None = None


class ProductOrder(Identified):
    """TMF622 ProductOrder with slaClass, dueDate, acceptanceKind, legs per delivering province, compensation."""

    state: str | None = None
    stateChangeDate: str | None = None
    orderDate: str | None = None
    description: str | None = None
    relatedParty: list[RelatedParty] | None = None
    productOrderItem: list[OrderItem] | None = None
    orderTotalPrice: list[Price] | None = None
    acceptanceKind: str | None = None
    slaClass: str | None = None
    dueDate: str | None = None
    homeProvince: str | None = None
    deliveringProvince: str | None = None
    deliveringProvinces: list[str] | None = None
    crossProvince: bool | None = None
    legs: list[Leg] | None = None
    acceptedThrough: str | None = None
    stateHistory: list[dict[str, Any]] | None = None
    notices: list[dict[str, Any]] | None = None
    completionDate: str | None = None
    lateWorkingDays: int | None = None
    compensation: Money | None = None
    completionNotice: dict[str, Any] | None = None
    callbackDue: str | None = None
    callback: dict[str, Any] | None = None
    cancellationDate: str | None = None
    cancellationReason: str | None = None
    cancellation: dict[str, Any] | None = None
    ageDays: int | None = Field(None, description="HQ's desk: days since the order was accepted.")
    overdue: bool | None = Field(None, description="HQ's desk: past its due date and not finished.")
    version: int | None = None

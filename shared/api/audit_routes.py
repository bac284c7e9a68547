"""The `/audit` surface on every node (R-28, R-30): history, time travel and the operation log. Read-only.

Each resource's history and past states need the permission that reads the resource (auditors hold them all);
the operation log, which spans every resource, needs `audit`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, JsonValue

from shared.api.common import Paging, listed, one
from shared.api.contract import Selection, selectable
from shared.api.security import reading
from shared.application import CrmApplication
from shared.audit.export import exported
from shared.audit.trail import AuditedResource, AuditTrail
from shared.auth.roles import Permission as P
from shared.domain.errors import InvalidValue


class Change(BaseModel):
    field: str = Field(
        description="Path of the changed attribute, e.g. contactMedium[0].characteristic.phoneNumber"
    )
    before: JsonValue
    after: JsonValue


class Answer(BaseModel):
    """Attributes are optional because `fields` may select some; none beyond these is ever sent."""

    model_config = ConfigDict(extra="forbid")


class Operator(Answer):
    actor: str | None = Field(None, description="Who (staff id, or a node for replicated work)")
    role: str | None = None
    channel: str | None = Field(
        None, description="businessHall, callCentre, web, agent, customerManager, system"
    )


class HistoryEntry(Operator):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "position": 42,
                "version": 2,
                "time": "2026-11-25T08:00:00+00:00",
                "actor": "zhang.san",
                "role": "clerk",
                "channel": "businessHall",
                "eventType": "Customer.StatusChanged",
                "changes": [{"field": "status", "before": "prospect", "after": "active"}],
            }
        }
    )
    position: int | None = Field(None, description="Position of the event in this node's log")
    version: int | None = None
    time: str | None = None
    eventType: str | None = None
    changes: list[Change] | None = None


class PastState(Answer):
    resource: str | None = None
    id: str | None = None
    version: int | None = None
    recordedAt: str | None = Field(None, description="When the event that made this version was recorded")
    document: dict[str, JsonValue] | None = Field(
        None, description="The resource's document as it stood then"
    )


class RecordedEvent(Operator):
    position: int | None = Field(None, description="Position of the event in its node's log")
    time: str | None = None
    aggregateType: str | None = None
    aggregateId: str | None = None
    version: int | None = None
    eventType: str | None = None


class Operation(RecordedEvent):
    subjects: list[str] | None = Field(None, description="Whose personal data was read in full (reads only)")


def trail(request: Request) -> AuditTrail:
    app: CrmApplication = request.app.state.crm
    return AuditTrail(app, app.audited_resources)


Trail = Annotated[AuditTrail, Depends(trail)]


def _resource_routes(router: APIRouter, resource: AuditedResource) -> None:
    name = resource.name

    @router.get(
        f"/{name}/{{resource_id}}/history",
        dependencies=[reading(resource.permission)],
        response_model=list[HistoryEntry],
        summary=f"Every event of one {name}, with field changes",
        operation_id=f"audit_{name}_history",
    )
    def history(
        resource_id: str,
        audit: Trail,
        fields: Annotated[Selection, selectable(HistoryEntry)],
        paging: Paging = Depends(),
    ) -> JSONResponse:
        return listed(audit.history(resource, resource_id), paging, fields)

    @router.get(
        f"/{name}/{{resource_id}}",
        dependencies=[reading(resource.permission)],
        response_model=PastState,
        summary=f"One {name} as it stood at a version or a time (replayed from its events)",
        operation_id=f"audit_{name}_state",
    )
    def state(
        resource_id: str,
        audit: Trail,
        fields: Annotated[Selection, selectable(PastState)],
        version: int | None = Query(None, ge=1, le=2**31 - 1, description="After this event"),
        as_of: AwareDatetime | None = Query(None, alias="asOf", description="ISO time with zone"),
    ) -> JSONResponse:
        return one(audit.state(resource, resource_id, version=version, as_of=as_of), fields)


class LogProof(BaseModel):
    ok: bool
    checked: int = Field(description="Events whose chain link was recomputed and matched")
    headPosition: int | None = None
    runningHash: str | None = None
    firstBadPosition: int | None = Field(description="Where the log stops following its chain")
    reason: str | None


class MirrorMismatch(BaseModel):
    position: int
    reason: str


class MirrorProof(BaseModel):
    upstream: str
    ok: bool
    checked: int
    signedHeads: int = Field(0, description="Batch heads whose province signature was checked")
    position: int
    runningHash: str
    mismatch: MirrorMismatch | None


class Integrity(Answer):
    node: str | None = None
    log: LogProof | None = None
    mirrors: list[MirrorProof] | None = Field(None, description="At HQ: each province's mirror")


def audit_router(resources: tuple[AuditedResource, ...]) -> APIRouter:
    router = APIRouter(prefix="/audit", tags=["audit"])
    for resource in resources:
        _resource_routes(router, resource)

    @router.get(
        "/operations",
        dependencies=[reading(P.AUDIT)],
        response_model=list[Operation],
        summary="Operation log (R-28): who did what, when, through which channel, on which aggregate",
    )
    def operations(
        audit: Trail,
        fields: Annotated[Selection, selectable(Operation)],
        paging: Paging = Depends(),
        actor: str | None = Query(None, max_length=128),
        role: str | None = Query(None, max_length=32),
        channel: str | None = Query(None, max_length=32),
        aggregate_type: str | None = Query(None, alias="aggregateType", max_length=64),
        since: AwareDatetime | None = Query(None, description="From this time (inclusive)"),
        until: AwareDatetime | None = Query(None, description="Before this time"),
    ) -> JSONResponse:
        found = list(
            audit.operations(
                actor=actor,
                role=role,
                channel=channel,
                aggregate_type=aggregate_type,
                since=since,
                until=until,
            )
        )
        return listed(found, paging, fields)

    @router.get(
        "/export",
        dependencies=[reading(P.AUDIT)],
        response_class=StreamingResponse,
        summary="Events as JSON Lines or CSV, streamed; the last line carries the running hash and count",
        responses={
            200: {
                "content": {
                    "application/x-ndjson": {"schema": {"type": "string"}},
                    "text/csv": {"schema": {"type": "string"}},
                }
            }
        },
    )
    def export(
        audit: Trail,
        format: Literal["jsonl", "csv"] = Query("jsonl"),
        resource: str | None = Query(None, max_length=64, description="With id: one resource's history"),
        resource_id: str | None = Query(None, alias="id", max_length=64),
        aggregate_type: str | None = Query(None, alias="aggregateType", max_length=64),
        since: AwareDatetime | None = Query(None),
        until: AwareDatetime | None = Query(None),
    ) -> StreamingResponse:
        aggregate = None
        if resource or resource_id:
            if resource not in audit.resources or not resource_id:
                raise InvalidValue(
                    f"resource (one of {', '.join(audit.resources)}) and id go together", field="resource"
                )
            if aggregate_type or since or until:
                raise InvalidValue(
                    "one resource's history is exported whole: leave out aggregateType, since and until",
                    field="resource",
                )
            aggregate = audit.aggregate_id_of(audit.resources[resource], resource_id)
        lines = exported(
            audit.app,
            resource_id=aggregate,
            aggregate_type=aggregate_type,
            since=since,
            until=until,
            as_csv=format == "csv",
        )
        return StreamingResponse(lines, media_type="text/csv" if format == "csv" else "application/x-ndjson")

    @router.get(
        "/integrity",
        dependencies=[reading(P.AUDIT)],
        response_model=Integrity,
        summary="Recompute the chain over this node's whole log (and, at HQ, each mirror); the first "
        "position that does not follow is named",
    )
    def integrity(request: Request, fields: Annotated[Selection, selectable(Integrity)]) -> JSONResponse:
        return one(request.app.state.crm.integrity(), fields)

    return router

"""`/replication/*` on every node: status of the log and of each upstream; audit at HQ; orphans at a province."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from replication.audit import verify_mirror
from replication.node import NodeRuntime
from shared.api.audit_routes import HistoryEntry
from shared.api.common import CrmApp, PagingQuery, listed, one, page_response
from shared.api.contract import Selection, selectable
from shared.api.filters import province_query
from shared.api.security import acting, reading, shown_in_full
from shared.auth.roles import Permission as P
from shared.domain.errors import NotFound
from shared.domain.operator import Operator
from shared.domain.values import PROVINCES

router = APIRouter(prefix="/replication", tags=["replication"])
audit_router = APIRouter(prefix="/replication", tags=["replication"])
orphan_router = APIRouter(
    prefix="/replication", tags=["replication"]
)  # provinces: what HQ sent that they lack


class Report(BaseModel):
    """An operational report; nodes may add to it as replication grows (unknown attributes are allowed)."""

    model_config = ConfigDict(extra="allow")


class Destination(Report):
    """A node that follows this log: its share's head, whether this node follows it in turn, and its stream."""

    destination: str
    headPosition: int
    runningHash: str
    recordedAt: str | None = None
    expected: bool | None = Field(
        None, description="This node follows that node too: a member of the cluster"
    )
    connection: Literal["connected", "disconnected", "neverConnected"] | None = Field(
        None, description="A stream open now; followed earlier; or not since this node started"
    )
    lastConnectedAt: str | None = None


class LogHead(Report):
    headPosition: int
    runningHash: str | None = None
    recordedAt: str | None = None
    grpcPort: int | None = None
    destinations: list[Destination] = []


class Mismatch(Report):
    position: int
    reason: str
    lastAgreeingPosition: int | None = None
    mirrorHash: str | None = None
    upstreamHash: str | None = None


class LastAudit(Report):
    at: str
    ok: bool
    checked: int
    mismatch: Mismatch | None = None


class UpstreamStatus(Report):
    upstream: str
    state: str
    position: int
    headPosition: int | None = None
    lagEvents: int | None = None
    lagSeconds: float | None = None
    lastMessageAt: str | None = None
    lastError: str | None = Field(
        None, description="What keeps the follower from streaming now (null once it streams again)"
    )
    lastErrorAt: str | None = None
    previousError: str | None = Field(None, description="The last error it recovered from")
    previousErrorAt: str | None = None
    lastAudit: LastAudit | None = None


class ReplicationStatus(Report):
    node: str
    tier: str
    log: LogHead | None = None
    upstreams: list[UpstreamStatus]


class AuditResult(Report):
    upstream: str
    checked: int
    signedHeads: int | None = None
    ok: bool
    mismatch: Mismatch | None = None
    position: int | None = None
    runningHash: str | None = None


class MirrorRecord(BaseModel):
    """One public event as the province sent it (state base64)."""

    model_config = ConfigDict(extra="forbid")
    upstream: str | None = None
    position: int | None = None
    topic: str | None = None
    originator_id: str | None = None
    originator_version: int | None = None
    state: str | None = None
    recorded_at: str | None = None
    running_hash: str | None = None
    channel: str | None = None


def runtime(request: Request) -> NodeRuntime | None:
    return getattr(request.app.state, "runtime", None)


Runtime = Annotated[NodeRuntime | None, Depends(runtime)]


@router.get(
    "/status",
    dependencies=[reading(P.READ_REPLICATION)],
    response_model=ReplicationStatus,
    summary="This node's log head and, per upstream: position, head, lag, connection, last error",
)
def status(
    node: Runtime, app: CrmApp, fields: Annotated[Selection, selectable(ReplicationStatus)]
) -> Response:
    if node is None:
        return one(
            {"node": app.settings.node_code, "tier": app.settings.tier, "log": None, "upstreams": []}, fields
        )
    return one(node.status(), fields)


class FollowerView(Report):
    upstream: str
    state: str


@router.post(
    "/upstreams/{upstream}/resume",
    dependencies=[reading(P.OPERATE)],
    response_model=FollowerView,
    summary="Start a stopped follower again (after the cause is fixed); a running one is left as it is",
)
def resume(upstream: str, node: Runtime) -> Response:
    if node is None:
        raise NotFound("this node follows no upstream", field="upstream")
    return one(node.resume(upstream.upper()))


class Orphan(BaseModel):
    """An upstream's record kept here instead of applied: what it refers to is not held here (lost in a restore)."""

    id: str
    upstream: str
    position: int = Field(description="The record's position in the upstream's log")
    eventType: str = Field(description="e.g. CrossProvinceOrder.LegProgressed")
    referredType: str = Field(description="What it refers to: ProductOrder, DeliveryLeg")
    referredId: str
    orderId: str = Field(description="The order it is about")
    province: str | None = Field(None, description="The other province named in the record, if any")
    upstreamRecordedAt: str | None = Field(None, description="When the upstream recorded it")
    recordedAt: str = Field(description="When this node kept it as an orphan")
    reason: str


@orphan_router.get(
    "/orphans",
    dependencies=[reading(P.READ_REPLICATION)],
    response_model=list[Orphan],
    summary="Upstream records this node kept as orphans: they refer to an order or leg it does not "
    "hold (after a restore), so they were recorded, not applied, and the follower went on",
)
def orphans(
    app: CrmApp,
    paging: PagingQuery,
    fields: Annotated[Selection, selectable(Orphan)],
    upstream: str | None = province_query("Only what this upstream sent", alias="upstream", hq=True),
    order_id: str | None = Query(None, alias="orderId", max_length=64),
) -> Response:
    page = app.list_orphans(upstream, order_id, paging.offset, paging.limit)  # type: ignore[attr-defined]
    return page_response(page, fields=fields)


def mirrored(upstream: str, app: CrmApp) -> str:
    """A province HQ follows or holds a mirror of; any other code is 404, not an empty, valid mirror."""
    code = upstream.upper()
    if code not in PROVINCES or (code not in app.peers and not app.mirror_count(code)):  # type: ignore[attr-defined]
        raise NotFound(f"no mirror of '{upstream[:16]}' here", field="upstream")
    return code


Mirrored = Annotated[str, Depends(mirrored)]


@audit_router.post(
    "/audit/{upstream}",
    dependencies=[reading(P.OPERATE)],
    response_model=AuditResult,
    summary="Re-read an upstream's log and compare it with what this node recorded",
)
def audit(upstream: str, node: Runtime) -> Response:
    if node is None:
        raise NotFound("this node follows no upstream", field="upstream")
    return one(node.audit(upstream.upper()))


@audit_router.get(
    "/mirror/{upstream}/verify",
    dependencies=[reading(P.AUDIT)],
    response_model=AuditResult,
    summary="Recompute the running hash over the mirror and compare it with the stored and tracked hashes",
)
def verify(
    upstream: Mirrored, app: CrmApp, fields: Annotated[Selection, selectable(AuditResult)]
) -> Response:
    return one(verify_mirror(app, upstream), fields)


@audit_router.get(
    "/mirror/{upstream}",
    response_model=list[MirrorRecord],
    summary="The verbatim public events received from an upstream (auditors)",
    description="The records hold personal data in full: only for roles that may see it, and each "
    "page read is recorded (who saw which records, when).",
)
def mirror(
    by: Annotated[Operator, acting(P.AUDIT)],
    upstream: Mirrored,  # who asks, before what exists
    app: CrmApp,
    fields: Annotated[Selection, selectable(MirrorRecord)],
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
) -> Response:
    return shown_in_full(
        app,
        by,
        f"mirror:{upstream}",
        lambda: app.mirror_page(upstream, after, limit),  # type: ignore[attr-defined]
        lambda rows: sorted({r["originator_id"] for r in rows}),
        fields,
    )


@audit_router.get(
    "/mirror/{upstream}/history/{aggregate_id}",
    dependencies=[reading(P.AUDIT)],
    response_model=list[HistoryEntry],
    summary="HQ: every mirrored event of one of a province's aggregates, with the fields it changed",
)
def mirrored_history(
    upstream: Mirrored,
    aggregate_id: str,
    app: CrmApp,
    paging: PagingQuery,
    fields: Annotated[Selection, selectable(HistoryEntry)],
) -> Response:
    return listed(app.mirror_history(upstream, aggregate_id), paging, fields)  # type: ignore[attr-defined]

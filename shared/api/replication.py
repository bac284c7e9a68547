"""`/replication/*` that every node answers: the status of its log and of each upstream, and resuming a follower.

HQ adds its mirror's routes (hq/mirror/routes.py), a province its orphans (province/orphans/routes.py).
"""

from __future__ import annotations

from typing import Annotated, Literal, Protocol

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from shared.api.common import CrmApp, one
from shared.api.contract import Selection, selectable
from shared.api.security import reading
from shared.auth.roles import Permission as P
from shared.domain.errors import NotFound
from shared.domain.json_types import JSONObject

router = APIRouter(prefix="/replication", tags=["replication"])


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


class NodeRuntime(Protocol):
    """What the routes ask of the node's replication runtime (replication.node.NodeRuntime)."""

    def status(self) -> JSONObject: ...

    def resume(self, code: str) -> JSONObject: ...

    def audit(self, code: str) -> JSONObject: ...


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

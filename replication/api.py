"""`/replication/*` on every node: status of the log and of each upstream; audit at HQ."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from replication.audit import verify_mirror
from replication.node import NodeRuntime
from shared.api.common import CrmApp, one
from shared.api.contract import Selection, selectable
from shared.api.security import acting, reading, shown_in_full
from shared.auth.roles import Permission as P

router = APIRouter(prefix="/replication", tags=["replication"])
audit_router = APIRouter(prefix="/replication", tags=["replication"])


class Report(BaseModel):
    """An operational report; nodes may add to it as replication grows (unknown attributes are allowed)."""

    model_config = ConfigDict(extra="allow")


class ReplicationStatus(Report):
    node: str
    tier: str
    log: dict[str, Any] | None = None
    upstreams: list[dict[str, Any]]


class AuditResult(Report):
    upstream: str
    checked: int
    ok: bool
    mismatch: dict[str, Any] | None = None
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


@router.get("/status", dependencies=[reading(P.READ_REPLICATION)], response_model=ReplicationStatus,
            summary="This node's log head and, per upstream: position, head, lag, connection, last error")
def status(node: Runtime, app: CrmApp, fields: Annotated[Selection, selectable(ReplicationStatus)]) -> Response:
    if node is None:
        return one({"node": app.settings.node_code, "tier": app.settings.tier, "log": None, "upstreams": []}, fields)
    return one(node.status(), fields)


@audit_router.post("/audit/{upstream}", dependencies=[reading(P.OPERATE)], response_model=AuditResult,
                   summary="Re-read an upstream's log and compare it with what this node recorded")
def audit(upstream: str, node: Runtime) -> Response:
    return one(node.audit(upstream.upper()))  # type: ignore[union-attr]  # HQ always runs its runtime


@audit_router.get("/mirror/{upstream}/verify", dependencies=[reading(P.AUDIT)], response_model=AuditResult,
                  summary="Recompute the running hash over the mirror and compare it with the stored and tracked hashes")
def verify(upstream: str, app: CrmApp, fields: Annotated[Selection, selectable(AuditResult)]) -> Response:
    return one(verify_mirror(app, upstream.upper()), fields)


@audit_router.get("/mirror/{upstream}", response_model=list[MirrorRecord],
                  summary="The verbatim public events received from an upstream (auditors)",
                  description="The records hold personal data in full: only for roles that may see it, and each "
                  "page read is recorded (who saw which records, when).")
def mirror(upstream: str, app: CrmApp, fields: Annotated[Selection, selectable(MirrorRecord)],
           after: int = Query(0, ge=0, le=2**62), limit: int = Query(100, ge=1, le=1000),
           by: dict[str, str] = acting(P.AUDIT)) -> Response:
    return shown_in_full(app, by, f"mirror:{upstream.upper()}",
                         lambda: app.mirror_page(upstream.upper(), after, limit),  # type: ignore[attr-defined]
                         lambda rows: sorted({r["originator_id"] for r in rows}), fields)

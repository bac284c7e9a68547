"""`/replication/audit/*` and `/replication/mirror/*` at HQ: a province's mirror proved, read and traced (R-30)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict

from hq.api.deps import HqApp
from hq.mirror.verification import verify_mirror
from shared.api.audit_routes import HistoryEntry
from shared.api.common import PagingQuery, listed, one
from shared.api.contract import Selection, selectable
from shared.api.replication import Mismatch, Report, Runtime
from shared.api.security import acting, reading, shown_in_full
from shared.auth.roles import Permission as P
from shared.domain.errors import NotFound
from shared.domain.operator import Operator
from shared.domain.values import PROVINCES

router = APIRouter(prefix="/replication", tags=["replication"])


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


def mirrored(upstream: str, app: HqApp) -> str:
    """A province HQ follows or holds a mirror of; any other code is 404, not an empty, valid mirror."""
    code = upstream.upper()
    if code not in PROVINCES or (code not in app.peers and not app.mirror.count(code)):
        raise NotFound(f"no mirror of '{upstream[:16]}' here", field="upstream")
    return code


Mirrored = Annotated[str, Depends(mirrored)]


@router.post(
    "/audit/{upstream}",
    dependencies=[reading(P.OPERATE)],
    response_model=AuditResult,
    summary="Re-read an upstream's log and compare it with what this node recorded",
)
def audit(upstream: str, node: Runtime) -> Response:
    if node is None:
        raise NotFound("this node follows no upstream", field="upstream")
    return one(node.audit(upstream.upper()))


@router.get(
    "/mirror/{upstream}/verify",
    dependencies=[reading(P.AUDIT)],
    response_model=AuditResult,
    summary="Recompute the running hash over the mirror and compare it with the stored and tracked hashes",
)
def verify(upstream: Mirrored, app: HqApp, fields: Annotated[Selection, selectable(AuditResult)]) -> Response:
    return one(verify_mirror(app, upstream), fields)


@router.get(
    "/mirror/{upstream}",
    response_model=list[MirrorRecord],
    summary="The verbatim public events received from an upstream (auditors)",
    description="The records hold personal data in full: only for roles that may see it, and each "
    "page read is recorded (who saw which records, when).",
)
def mirror(
    by: Annotated[Operator, acting(P.AUDIT)],
    upstream: Mirrored,  # who asks, before what exists
    app: HqApp,
    fields: Annotated[Selection, selectable(MirrorRecord)],
    after: int = Query(0, ge=0, le=2**62),
    limit: int = Query(100, ge=1, le=1000),
) -> Response:
    return shown_in_full(
        app,
        by,
        f"mirror:{upstream}",
        lambda: app.mirror.page(upstream, after, limit),
        lambda rows: sorted({r["originator_id"] for r in rows}),
        fields,
    )


@router.get(
    "/mirror/{upstream}/history/{aggregate_id}",
    dependencies=[reading(P.AUDIT)],
    response_model=list[HistoryEntry],
    summary="HQ: every mirrored event of one of a province's aggregates, with the fields it changed",
)
def mirrored_history(
    upstream: Mirrored,
    aggregate_id: str,
    app: HqApp,
    paging: PagingQuery,
    fields: Annotated[Selection, selectable(HistoryEntry)],
) -> Response:
    return listed(app.mirror.history(upstream, aggregate_id), paging, fields)

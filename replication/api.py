"""`/replication/*` on every node: status of the log and of each upstream; audit at HQ."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from replication.audit import verify_mirror
from shared.api.common import crm_app
from shared.api.security import acting, reading, shown_in_full
from shared.auth.roles import Permission as P
from shared.domain.errors import NotFound
from shared.domain.values import PROVINCES

router = APIRouter(prefix="/replication", tags=["replication"])
audit_router = APIRouter(prefix="/replication", tags=["replication"])


def runtime(request: Request) -> Any:
    return getattr(request.app.state, "runtime", None)


@router.get("/status", dependencies=[reading(P.READ_REPLICATION)], summary="This node's log head and, per upstream: position, head, lag, connection, last error")
def status(node: Any = Depends(runtime), app: Any = Depends(crm_app)) -> dict[str, Any]:
    if node is None:
        return {"node": app.settings.node_code, "tier": app.settings.tier, "log": None, "upstreams": []}
    return node.status()


@router.post("/upstreams/{upstream}/resume", dependencies=[reading(P.OPERATE)],
             summary="Start a stopped follower again (after the cause is fixed); a running one is left as it is")
def resume(upstream: str, node: Any = Depends(runtime)) -> dict[str, Any]:
    if node is None:
        raise NotFound("this node follows no upstream", field="upstream")
    return node.resume(upstream.upper())


def mirrored(upstream: str, app: Any = Depends(crm_app)) -> str:
    """A province HQ follows or holds a mirror of; any other code is 404, not an empty, valid mirror."""
    code = upstream.upper()
    if code not in PROVINCES or (code not in app.peers and not app.mirror_count(code)):
        raise NotFound(f"no mirror of '{upstream[:16]}' here", field="upstream")
    return code


@audit_router.post("/audit/{upstream}", dependencies=[reading(P.OPERATE)], summary="Re-read an upstream's log and compare it with what this node recorded")
def audit(upstream: str, node: Any = Depends(runtime)) -> dict[str, Any]:
    return node.audit(upstream.upper())


@audit_router.get("/mirror/{upstream}/verify", dependencies=[reading(P.AUDIT)],
                  summary="Recompute the running hash over the mirror and compare it with the stored and tracked hashes")
def verify(upstream: str = Depends(mirrored), app: Any = Depends(crm_app)) -> dict[str, Any]:
    return verify_mirror(app, upstream)


@audit_router.get("/mirror/{upstream}", summary="The verbatim public events received from an upstream (auditors)",
                  description="The records hold personal data in full: only for roles that may see it, and each "
                  "page read is recorded (who saw which records, when).")
def mirror(by: dict[str, str] = acting(P.AUDIT), upstream: str = Depends(mirrored),  # who asks, before what exists
           after: int = Query(0, ge=0, le=2**62), limit: int = Query(100, ge=1, le=1000),
           app: Any = Depends(crm_app)) -> Any:
    return shown_in_full(app, by, f"mirror:{upstream}", lambda: app.mirror_page(upstream, after, limit),
                         lambda rows: sorted({r["originator_id"] for r in rows}))

"""Liveness and readiness, for process supervisors and load balancers; no token needed, and neither ever hangs.

Live: the process answers (never touches the store). Ready: the store answers within the pool's short wait (at
once while an outage is known); followers' states are reported beside it but do not make a node unready — a node
whose upstream is away still serves its own desk, and the follower catches up by itself. A follower that stopped
does not catch up by itself: the node is then `degraded` (still ready), naming each stopped follower and why.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from shared.api.common import CrmApp
from shared.domain.json_types import JSONObject

if TYPE_CHECKING:
    from shared.application import CrmApplication

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    status: str = Field(description="up")
    nodeCode: str
    tier: str


class StoppedFollower(BaseModel):
    upstream: str
    reason: str = Field(description="Why it stopped (its lastError on /replication/status)")
    since: str | None = Field(None, description="When (ISO 8601, UTC)")


class Readiness(Liveness):
    store: str = Field(description="sqlite or postgres")
    status: str = Field(
        description="up; degraded while a follower is stopped (still ready: 200); down while the "
        "store does not answer"
    )
    lastEventPosition: int | None = Field(None, description="/health only")
    followers: dict[str, str] | None = Field(None, description="Each upstream's follower state")
    degraded: list[StoppedFollower] | None = Field(
        None,
        description="Each stopped follower and why: it takes nothing more from its upstream until resumed",
    )


NOT_READY: dict[int | str, dict[str, Any]] = {
    503: {"model": Readiness, "description": "the store cannot be reached (Retry-After)"}
}


@router.get(
    "/health/live", response_model=Liveness, summary="The process is up (answers without touching the store)"
)
async def live(app: CrmApp) -> JSONObject:
    settings = app.settings
    return {"status": "up", "nodeCode": settings.node_code, "tier": settings.tier}


@router.get(
    "/health/ready",
    response_model=Readiness,
    responses=NOT_READY,
    summary="Ready to serve: the store answers now; followers' states beside it",
)
def ready(request: Request, app: CrmApp) -> JSONResponse:
    return _readiness(app, request, with_position=False)


@router.get(
    "/health",
    response_model=Readiness,
    responses=NOT_READY,
    summary="Readiness with the node's last event position (503 while the store is unreachable)",
)
def health(request: Request, app: CrmApp) -> JSONResponse:
    return _readiness(app, request, with_position=True)


def _readiness(app: CrmApplication, request: Request, with_position: bool) -> JSONResponse:
    body: JSONObject = {
        "status": "up",
        "nodeCode": app.settings.node_code,
        "tier": app.settings.tier,
        "store": app.settings.store,
    }
    try:
        app.check_store()
        if with_position:
            body["lastEventPosition"] = app.head_position()
    except Exception as error:
        log.info("not ready: the store does not answer: %s", error)  # the cause stays in the log
        body["status"] = "down"
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        body["followers"] = runtime.follower_states()
        if stopped := runtime.stopped_followers():
            body["degraded"] = stopped
            if body["status"] == "up":
                body["status"] = "degraded"
    if body["status"] != "down":
        return JSONResponse(body)
    return JSONResponse(
        body, status_code=503, headers={"Retry-After": str(app.settings.store_retry_after_seconds)}
    )

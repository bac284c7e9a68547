"""Liveness and readiness, for process supervisors and load balancers; no token needed, and neither ever hangs.

Live: the process answers (never touches the store). Ready: the store answers within the pool's short wait (at
once while an outage is known); followers' states are reported beside it but do not make a node unready — a node
whose upstream is away still serves its own desk, and the follower catches up by itself.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from shared.api.common import crm_app

log = logging.getLogger(__name__)
router = APIRouter(tags=["operations"])


@router.get("/health/live", summary="The process is up (answers without touching the store)")
async def live(app: Any = Depends(crm_app)) -> dict[str, Any]:
    settings = app.settings
    return {"status": "up", "nodeCode": settings.node_code, "tier": settings.tier}


@router.get("/health/ready", summary="Ready to serve: the store answers now; followers' states beside it",
            responses={503: {"description": "the store cannot be reached"}})
def ready(request: Request, app: Any = Depends(crm_app)) -> JSONResponse:
    return _readiness(app, request, with_position=False)


@router.get("/health", summary="Readiness with the node's last event position (503 while the store is unreachable)",
            responses={503: {"description": "the store cannot be reached"}})
def health(request: Request, app: Any = Depends(crm_app)) -> JSONResponse:
    return _readiness(app, request, with_position=True)


def _readiness(app: Any, request: Request, with_position: bool) -> JSONResponse:
    body: dict[str, Any] = {"status": "up", "nodeCode": app.settings.node_code, "tier": app.settings.tier,
                            "store": app.settings.store}
    try:
        app.check_store()
        if with_position:
            body["lastEventPosition"] = app.head_position()
    except Exception as error:  # noqa: BLE001 — whatever the store raised, the node is not ready
        log.info("not ready: the store does not answer: %s", error)  # the cause stays in the log
        body["status"] = "down"
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        body["followers"] = runtime.follower_states()
    if body["status"] == "up":
        return JSONResponse(body)
    return JSONResponse(body, status_code=503, headers={"Retry-After": str(app.settings.store_retry_after_seconds)})

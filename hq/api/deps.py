"""Typed dependencies of HQ's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hq.application import HqApplication


def hq_app(request: Request) -> HqApplication:
    return request.app.state.crm


HqApp = Annotated[HqApplication, Depends(hq_app)]

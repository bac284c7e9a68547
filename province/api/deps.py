"""Typed dependencies of the province's routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from province.application import ProvinceApplication


def province_app(request: Request) -> ProvinceApplication:
    return request.app.state.crm


ProvinceApp = Annotated[ProvinceApplication, Depends(province_app)]

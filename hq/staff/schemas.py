"""Request and response shapes of the staff directory's API."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from shared.api.models import RequestBody, Resource
from shared.auth.roles import Role


class StaffCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "zhang.san",
                    "name": "张三",
                    "role": "clerk",
                    "province": "GD",
                    "password": "a long passphrase",
                }
            ]
        }
    )
    username: str = Field(min_length=2, max_length=64)
    name: str | None = Field(None, max_length=128, description="Display name, full UTF-8.")
    role: Role
    province: str | None = Field(None, description="Home province of province staff; others act at HQ.")
    password: str = Field(min_length=10, max_length=256)


class StaffUpdate(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": False}]})
    role: Role | None = None
    province: str | None = None
    enabled: bool | None = None
    password: str | None = Field(None, min_length=10, max_length=256)


class StaffMember(Resource):
    username: str
    href: str | None = None
    name: str | None = None
    role: str | None = None
    province: str | None = None
    enabled: bool | None = None

"""Request and response shapes of the staff directory's API."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from shared.api.models import RequestBody, Resource, set_when_given
from shared.auth.roles import Role

MIN_PASSWORD = 10
# Compared without the spaces around it, as a member signs in with it; which characters it may hold is the
# domain's rule for any text (shared.domain.values.plain).
Password = Annotated[str, StringConstraints(strip_whitespace=True, min_length=MIN_PASSWORD, max_length=256)]


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
    password: Password


# A merge patch. Only `province` may be null (back to HQ, for a role acting there); the others are set when
# named, never removed (the schema offers no null for them). An absent field is None here.
class StaffUpdate(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"enabled": False}]})
    role: Role | None = Field(None, json_schema_extra=set_when_given)
    province: str | None = None
    enabled: bool | None = Field(None, json_schema_extra=set_when_given)
    password: Password | None = Field(None, json_schema_extra=set_when_given)

    @field_validator("role", "enabled", "password")
    @classmethod
    def _not_removed(cls, value: object, info: ValidationInfo) -> object:
        if value is None:
            raise PydanticCustomError(
                "notRemovable", "cannot be removed; give a {field}", {"field": info.field_name}
            )
        return value


class StaffMember(Resource):
    username: str
    href: str | None = None
    name: str | None = None
    role: str | None = None
    province: str | None = None
    enabled: bool | None = None

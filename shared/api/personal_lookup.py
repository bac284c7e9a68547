"""A list's exact-match filters by certificate and phone number, on both tiers. The masked form (region and last
four digits) leaves a few thousand candidates, and each lookup confirms or refutes one: so a lookup is a
personal-data read — only for roles that may see the numbers, recorded as one, and throttled per person
(shared/auth/lookups.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Depends, Query, Request

from shared.api.security import ensure_may_see_personal_data
from shared.domain.errors import TooManyAttempts
from shared.domain.operator import Operator

if TYPE_CHECKING:
    from shared.application import CrmApplication


@dataclass(frozen=True)
class PersonalLookup:
    """The two filters as asked; recording the lookup is the route's, once it knows whom it found."""

    certificate_number: str | None = None
    phone_number: str | None = None

    @property
    def asked(self) -> list[str]:
        return [
            name
            for name, value in (
                ("certificateNumber", self.certificate_number),
                ("phoneNumber", self.phone_number),
            )
            if value is not None
        ]

    def record(self, app: CrmApplication, resource: str, found: list[str], by: Operator) -> bool:
        """Record the lookup (whom it found, if anyone: a miss tells something too); False if none was asked."""
        if not self.asked:
            return False
        app.record_personal_read(f"{resource}?{','.join(self.asked)}", found, by)
        return True


def personal_lookup(certificate: str, phone: str) -> Any:
    """`numbers: PersonalLookup = personal_lookup(…)` on a guarded list: the two filters, checked and counted."""
    rule = (
        " Roles that may see personal data only; each lookup is recorded and counted against the caller's "
        "hourly allowance (CRM_PERSONAL_LOOKUPS_PER_HOUR, then 429)."
    )

    def numbers(
        request: Request,
        certificate_number: str | None = Query(
            None, alias="certificateNumber", min_length=1, max_length=32, description=certificate + rule
        ),
        phone_number: str | None = Query(
            None, alias="phoneNumber", min_length=1, max_length=20, description=phone + rule
        ),
    ) -> PersonalLookup:
        lookup = PersonalLookup(certificate_number, phone_number)
        if lookup.asked:
            by = request.state.operator  # who_asks_first checked the caller before this runs
            ensure_may_see_personal_data(by, field=lookup.asked[0])
            wait = request.app.state.crm.personal_lookups.take(by.actor)
            if wait:
                raise TooManyAttempts(
                    f"too many lookups by certificate or phone number; try again in {int(wait) + 1} s",
                    field=lookup.asked[0],
                    retry_after=wait,
                )
        return lookup

    return Depends(numbers)

"""Schemathesis against a node's own OpenAPI, in process: the nodes, the staff tokens and the run.

Used by tests/api/test_fuzz.py (bounded, inside `make test`) and by `make fuzz` (python -m tests.support.fuzzing:
longer, every phase).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events, from_schema

from crm.bootstrap import api_alone, open_application
from shared.auth.roles import GRANTS, Permission, Role, acts_at
from tests.support.auth import token
from tests.support.stores import node_settings

# Undocumented status codes (status_code_conformance) stay off until every operation documents its 4xx;
# response_schema_conformance holds each answer to the schema its operation documents.
CHECKS = ["not_a_server_error", "response_schema_conformance", "content_type_conformance", "error_form"]
ANONYMOUS_CHECKS = [*CHECKS, "refused_without_token"]


@schemathesis.check
def error_form(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx and 5xx is `{"code", "reason", "field"}` in JSON."""
    if response.status_code < 400:
        return True  # not applicable (schemathesis reads True as skipped)
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"{response.status_code} is not JSON: {response.text[:200]!r}") from None
    assert isinstance(body, dict) and {"code", "reason", "field"} <= set(body), (
        f"{response.status_code} is not in the error form: {body!r}"[:300]
    )
    return None


@schemathesis.check
def refused_without_token(ctx: Any, response: Any, case: Any) -> bool | None:
    """An operation that needs a permission answers nobody without a valid token: 401 with its challenge (or a
    4xx for input refused before anyone is asked who they are)."""
    if not case.operation.definition.raw.get("x-permission"):
        return True
    assert response.status_code >= 400, f"{response.status_code} without a valid token"
    if response.status_code == 401:
        challenge = {name.lower(): values for name, values in response.headers.items()}.get(
            "www-authenticate"
        )
        assert challenge and challenge[0].startswith("Bearer"), "401 without its challenge"
    return None


def config(
    examples: int, phases: tuple[str, ...], seconds: int | None = None, checks: list[str] = CHECKS
) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            **(
                {"seed": 9} if seconds is None else {}
            ),  # bounded runs repeat the same cases: CI failures reproduce
            **({"max-time": seconds} if seconds else {}),
            "suppress-health-check": [
                "filter_too_much",
                "too_slow",
            ],  # operations without parameters: one case is all
            "generation": {"mode": "all", "max-examples": examples, "database": "none"},
            "phases": {
                name: {"enabled": name in phases} for name in ("examples", "coverage", "fuzzing", "stateful")
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in checks}},
        }
    )


def strongest_role(permission: Permission, code: str, tier: str) -> Role:
    """Of the roles that may do this on this node, the one that may do the most (so the fuzzer reaches as far
    as any member of staff can)."""
    able = [r for r in Role if permission in GRANTS[r] and acts_at(r, code, code, tier)]
    return max(able, key=lambda r: len(GRANTS[r]))


@contextmanager
def node_api(store: str, tmp_path: Path, code: str) -> Iterator[Any]:
    """One node's ASGI app on its own store; replication routes answer, nothing follows."""
    tier = "hq" if code == "HQ" else "province"
    with node_settings(store, tmp_path, code, tier=tier) as settings:
        app = open_application(settings)
        try:
            yield api_alone(app)
        finally:
            app.close()


def load(api: Any, code: str, settings: SchemathesisConfig, signed_in: bool = True) -> Any:
    """The node's schema; signed in, each operation carries a token of the strongest role that may call it."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", api, config=settings)
    if not signed_in:
        return schema
    tier = "hq" if code == "HQ" else "province"

    def permission(case: Any, _: Any) -> str:
        return case.operation.definition.raw.get("x-permission", "")

    @schema.auth(cache_by_key=permission, retry_on=[])
    class StaffToken:
        def get(self, case: Any, context: Any) -> str:
            needed = permission(case, context)
            if not needed:
                return ""
            role = strongest_role(Permission(needed), code, tier)
            return token(role.value, code if tier == "province" else "HQ", "fuzz.staff", "模糊测试")

        def set(self, case: Any, data: str, context: Any) -> None:
            headers = dict(case.headers or {})
            if data:
                headers["Authorization"] = f"Bearer {data}"
            headers["X-Channel"] = "system"  # a known channel: the fuzzer goes on past the header
            case.headers = headers

    return schema


@dataclass
class Outcome:
    cases: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # each distinct failing check, with a curl to reproduce
    failed: set[tuple[str, str]] = field(default_factory=set)  # (operation, check)
    errors: list[str] = field(default_factory=list)  # in process, a server error reaches us as its exception
    phases: dict[str, str] = field(
        default_factory=dict
    )  # how each phase ended (stateful: skipped without links)


def run(schema: Any) -> Outcome:
    """Every enabled phase; each distinct failing check once, with the request that reproduces it."""
    outcome, seen = Outcome(), set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            recorder = event.recorder
            for interaction in recorder.interactions.values():
                if interaction.response is not None:
                    outcome.cases += 1
                    status = interaction.response.status_code
                    outcome.statuses[status] = outcome.statuses.get(status, 0) + 1
            for checks in recorder.checks.values():
                for check in checks:
                    if check.status != Status.FAILURE or check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (recorder.label, check.name, failure.title)
                    if key not in seen:
                        seen.add(key)
                        outcome.failed.add((recorder.label, check.name))
                        outcome.failures.append(
                            f"{recorder.label}: {check.name}: {failure.title}\n"
                            f"{failure.message}\n{check.failure_info.code_sample}"
                        )
        elif isinstance(event, events.PhaseFinished):
            outcome.phases[event.phase.name.value] = event.status.name.lower()
        elif isinstance(event, events.NonFatalError):
            outcome.errors.append(
                f"{event.label}: {type(event.value).__name__}: {event.value}\n{event.info.code_sample or ''}"[
                    :3000
                ]
            )
        elif isinstance(event, events.FatalError):
            raise event.exception
    return outcome


def explore() -> None:
    """`make fuzz`: every node, every phase, many examples, minutes rather than seconds. The stateful phase runs
    where schemathesis can link operations (Location headers, response schemas); each pass prints whether it did."""
    parser = argparse.ArgumentParser(description=explore.__doc__)
    parser.add_argument("--minutes", type=float, default=2.0, help="per node and pass")
    parser.add_argument("--examples", type=int, default=200, help="per operation and phase")
    parser.add_argument("--nodes", default="GD:sqlite,GD:postgres,HQ:sqlite")
    parser.add_argument(
        "--status-codes",
        action="store_true",
        help="also fail a status code the operation does not document (status_code_conformance)",
    )
    args = parser.parse_args()
    extra = ["status_code_conformance"] if args.status_codes else []
    total = 0
    for spec in args.nodes.split(","):
        code, store = spec.split(":")
        with tempfile.TemporaryDirectory() as tmp, node_api(store, Path(tmp), code) as api:
            for signed_in in (True, False):
                started = time.monotonic()
                settings = config(
                    args.examples,
                    ("examples", "coverage", "fuzzing", "stateful"),
                    seconds=int(args.minutes * 60),
                    checks=[*(CHECKS if signed_in else ANONYMOUS_CHECKS), *extra],
                )
                outcome = run(load(api, code, settings, signed_in))
                label = f"{code} on {store}, {'signed in' if signed_in else 'no token'}"
                print(
                    f"== {label}: {outcome.cases} requests in {time.monotonic() - started:.0f} s, "
                    f"statuses {dict(sorted(outcome.statuses.items()))}, phases {outcome.phases}, "
                    f"{len(outcome.failures)} failures",
                    flush=True,
                )
                for failure in outcome.failures + outcome.errors:
                    print(failure, "\n", flush=True)
                total += len(outcome.failures) + len(outcome.errors)
    raise SystemExit(1 if total else 0)


if __name__ == "__main__":
    explore()

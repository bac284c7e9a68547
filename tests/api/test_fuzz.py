"""Schemathesis against every node's own OpenAPI (a province on SQLite and on PostgreSQL, and HQ), in process.

Each operation is called with a token of the strongest role that may perform it on that node, then with no
token at all. Any 5xx fails, any 4xx not in the error form fails, an operation answering without a token fails,
and an answer that breaks the schema its operation documents fails. Bounded (a fixed seed; boundary values of
every parameter, then a few random cases per operation); `make fuzz` explores for minutes.
"""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse

from tests.support.fuzzing import ANONYMOUS_CHECKS, config, load, node_api, run

NODES = {"GD-sqlite": ("sqlite", "GD"), "GD-postgres": ("postgres", "GD"), "HQ-sqlite": ("sqlite", "HQ")}


@pytest.mark.parametrize("node", sorted(NODES))
def test_no_input_gets_a_server_error_or_an_answer_the_openapi_does_not_describe(node, tmp_path):
    store, code = NODES[node]
    with node_api(store, tmp_path, code) as api:
        signed_in = run(load(api, code, config(examples=5, phases=("examples", "coverage", "fuzzing"))))
        anonymous = run(
            load(api, code, config(examples=2, phases=("fuzzing",), checks=ANONYMOUS_CHECKS), signed_in=False)
        )
    problems = signed_in.failures + signed_in.errors + anonymous.failures + anonymous.errors
    assert problems == [], "\n\n".join(problems)
    assert sum(n for status, n in signed_in.statuses.items() if status < 300) > 100  # past the tokens, far
    assert anonymous.statuses.get(401, 0) > 20


def test_the_fuzzer_fails_a_server_error_a_broken_schema_and_a_bare_error():
    """The harness bites: an answer that breaks its documented schema, a 4xx outside the error form and an
    exception are each reported (a check that is switched off or skipped would pass them silently)."""
    toy = FastAPI()
    money = {
        "application/json": {
            "schema": {"type": "object", "required": ["value"], "properties": {"value": {"type": "integer"}}}
        }
    }

    @toy.get("/money", responses={200: {"content": money}})
    def broken_schema() -> JSONResponse:
        return JSONResponse({"value": "a lot"})

    @toy.get("/bare", responses={404: {"description": "gone"}})
    def bare_error() -> PlainTextResponse:
        return PlainTextResponse("gone", status_code=404)

    @toy.get("/boom")
    def server_error() -> None:
        raise RuntimeError("boom")

    outcome = run(load(toy, "GD", config(examples=1, phases=("fuzzing",)), signed_in=False))
    assert {("GET /money", "response_schema_conformance"), ("GET /bare", "error_form")} <= outcome.failed
    assert any(error.startswith("GET /boom: RuntimeError") for error in outcome.errors), outcome.errors

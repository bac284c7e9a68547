"""Request plumbing shared by every resource router: operator headers, paging, idempotent creates."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from shared.api.contract import ALL, Selection
from shared.application import CrmApplication, IdempotencyKey, Outcome
from shared.domain.errors import Conflict
from shared.domain.json_types import JSONObject
from shared.persistence.protection import mask
from shared.persistence.queries import Page


def crm_app(request: Request) -> CrmApplication:
    return request.app.state.crm


CrmApp = Annotated[CrmApplication, Depends(crm_app)]


MAX_OFFSET = 2**31 - 1  # well inside every store's integers


class Paging:
    def __init__(
        self,
        offset: int = Query(0, ge=0, le=MAX_OFFSET, description="Index of the first item returned."),
        limit: int = Query(100, ge=1, le=1000, description="At most this many items."),
    ) -> None:
        self.offset = offset
        self.limit = limit


PagingQuery = Annotated[Paging, Depends(Paging)]
IdempotencyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="Same key and body: the first answer again, nothing recorded; same key, other body: 409.",
    ),
]


class MaskedJSONResponse(JSONResponse):
    """Every answer, unless a permitted reader asked for personal data in full: certificate and phone numbers
    masked wherever they stand (440106********123X, 138****8000)."""

    def render(self, content: object) -> bytes:
        return super().render(mask(content))


def page_response(page: Page, unmasked: bool = False, fields: Selection = ALL) -> JSONResponse:
    response = JSONResponse if unmasked else MaskedJSONResponse
    return response(
        fields.apply_all(page.items),
        headers={"X-Total-Count": str(page.total), "X-Result-Count": str(len(page.items))},
    )


def listed(items: list[dict[str, Any]], paging: Paging, fields: Selection = ALL) -> JSONResponse:
    """A page of a list computed whole (a history, a log slice), with its total."""
    return page_response(
        Page(total=len(items), items=items[paging.offset : paging.offset + paging.limit]), fields=fields
    )


def one(document: object, fields: Selection = ALL, status: int = 200) -> JSONResponse:
    """A document as answered (masked), shrunk to a `fields` selection; its route documents its model."""
    return MaskedJSONResponse(fields.apply(document), status_code=status)


def full(document: object) -> JSONResponse:
    """An answer with personal data in full; only for a read that was checked and recorded."""
    return JSONResponse(document)


def idempotent_create(
    app: CrmApplication,
    key: str | None,
    payload: object,
    command: Callable[[IdempotencyKey | None], JSONObject],
    status: int = 201,
) -> Response:
    """Run a create once per `Idempotency-Key`; a repeat with the same body replays the first answer."""
    idempotency = IdempotencyKey.of(key, payload) if key else None
    previous = app.replay_outcome(idempotency)
    if previous is not None:
        return MaskedJSONResponse(previous.body, status_code=previous.status)
    try:
        body = command(idempotency)
    except Conflict:
        # Lost a race to the same key (the first request committed meanwhile: a lost save, or a duplicate it
        # recorded): every repeat gets the first answer; anything else is the conflict it is.
        previous = app.replay_outcome(idempotency)
        if previous is None:
            raise
        return MaskedJSONResponse(previous.body, status_code=previous.status)
    return MaskedJSONResponse(
        body, status_code=status, headers=location(str(body["href"])) if "href" in body else None
    )


def location(href: str) -> dict[str, str]:
    """The `Location` header of a created resource. Headers are Latin-1: an href holding anything else (an id
    recorded before ids were codes, say) goes percent-encoded as UTF-8, never a failure after the write."""
    return {"Location": quote(href, safe="/:@!$&'()*+,;=?#[]%-._~")}


def outcome_for(body: JSONObject, status: int = 201) -> Outcome:
    return Outcome(status=status, body=body)

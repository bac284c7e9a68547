"""Every href and Location the API hands out answers (issue 9): walk every list on a province loaded with the
demo data and on HQ after it heard from that province, follow every href found, and expect a document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient

from crm.bootstrap import rest_api
from province import demo
from tests.support.auth import staff
from tests.support.nodes import cluster, eventually


def hrefs_in(document: Any) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            if key == "href" and isinstance(value, str):
                yield value
            else:
                yield from hrefs_in(value)
    elif isinstance(document, list):
        for item in document:
            yield from hrefs_in(item)


def collections(client: TestClient) -> list[tuple[str, bool]]:
    """Every GET path without path parameters and without required query parameters, and whether it pages."""
    spec = client.get("/openapi.json").json()
    paths = []
    for path, operations in spec["paths"].items():
        get = operations.get("get")
        if get is None or "{" in path or path.startswith(("/health", "/metrics", "/openapi", "/docs")):
            continue
        if "application/json" not in get["responses"].get("200", {}).get("content", {}):
            continue  # an export stream
        parameters = get.get("parameters", [])
        if any(p.get("required") and p["in"] == "query" for p in parameters):
            continue
        paths.append((path, any(p["name"] == "limit" for p in parameters)))
    return paths


def unresolved(client: TestClient) -> list[str]:
    seen: set[str] = set()
    broken = []
    for path, paged in collections(client):
        listing = client.get(path, params={"limit": 50} if paged else None)
        if listing.status_code == 403:  # not this reader's business (the staff directory, for an auditor)
            continue
        assert listing.status_code == 200, (path, listing.text)
        for href in hrefs_in(listing.json()):
            if href in seen:
                continue
            seen.add(href)
            answer = client.get(href)
            if answer.status_code != 200:
                broken.append(f"{href} (found in {path}) → {answer.status_code}")
    assert seen, "no href was found at all"
    return broken


def test_every_href_of_a_demo_province_and_of_hq_answers(tmp_path):
    with cluster("sqlite", tmp_path, ("GD",)) as nodes:
        province = nodes["GD"].app
        demo.load(province)
        api = rest_api(province)
        with TestClient(api, headers=staff("provinceAdmin", "GD", "zhang.san")) as client:
            assert unresolved(client) == []
        hq = nodes["HQ"].app
        eventually(lambda: hq.registry.list_national_customers(limit=1).total > 0)
        hq_api = rest_api(hq, nodes["HQ"].runtime)
        with TestClient(hq_api, headers=staff("auditor", "HQ", "zhao.audit")) as client:
            assert unresolved(client) == []

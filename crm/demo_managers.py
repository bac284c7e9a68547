"""The demo's key customers get the demo's customer managers, as a province administrator would assign them once
HQ's directory has reached the province (a province loads its demo data at start, before that)."""

from __future__ import annotations

import time
import urllib.error
from typing import Any

from crm.cluster_demo import CUSTOMERS, Node

KEY_GRADES = {"1A", "2A", "3A"}


def manager_of(code: str) -> str:
    return f"{code.lower()}.customermanager"


def assign(province: Node, code: str, timeout: float = 60.0) -> int:
    """Key customers (1A–3A, groups) without a manager get the province's demo customer manager; returns how many."""
    customers: list[dict[str, Any]] = province.call("GET", CUSTOMERS, limit=1000)
    waiting = [
        c
        for c in customers
        if c.get("homeProvince") == code
        and not c.get("readOnly")  # groups of
        and not c.get("customerManager")
        and c["status"] != "closed"  # other provinces are theirs
        and (c["grade"] in KEY_GRADES or c.get("customerKind") == "group")
    ]
    assigned = 0
    deadline = time.monotonic() + timeout
    for customer in waiting:
        while True:
            try:
                province.call(
                    "PATCH", f"{CUSTOMERS}/{customer['id']}", {"customerManager": {"id": manager_of(code)}}
                )
                assigned += 1
                break
            except urllib.error.HTTPError as refused:  # 400 until HQ's directory has reached the province
                if refused.code != 400 or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    return assigned

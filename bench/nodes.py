"""Nodes for benchmarks: built by `crm.bootstrap` on throw-away stores (`crm.throwaway`), on loopback ports no
other node of the run has (`crm.ports`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from crm.throwaway import make_keys, throwaway_store
from shared.domain.operator import Operator
from shared.settings import Settings

BY = Operator(actor="bench", role="staff", channel="web")
NODES = ("HQ", "GD", "BJ", "SH")  # the nodes a benchmark may start: each has its keys and certificate


@contextmanager
def store_settings(
    store: str,
    tmp: Path,
    code: str,
    **overrides: Any,  # Settings' fields
) -> Iterator[Settings]:
    """A node's settings on a store that exists only for the benchmark."""
    overrides.setdefault("keys_dir", make_keys(tmp / "keys", NODES))
    tier = "hq" if code == "HQ" else "province"
    with throwaway_store(store, tmp, code, "crm_bench", tier=tier, **overrides) as settings:
        yield settings

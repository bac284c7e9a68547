"""Proving HQ's mirror (R-30): offline, against the chain HQ accepted and the heads the province signed; online,
against the province's log as it stands now, re-read from the start."""

from __future__ import annotations

import base64
from contextlib import closing
from typing import TYPE_CHECKING, Any

from replication.chain import GENESIS, LogRecord, link
from replication.reader import read_log
from replication.tls import IdentityError, verify_head

if TYPE_CHECKING:
    from hq.application import HqApplication


def audit_upstream(app: HqApplication, upstream: str, target: str, deadline: float = 300.0) -> dict[str, Any]:
    """Compare every mirrored record with the upstream's current log and recompute the running hash."""
    mirror = app.mirror
    checked, previous, after, agreed = 0, GENESIS, 0, 0
    rows: list[dict[str, Any]] = []  # the mirror's next records, a page at a time
    mismatch: dict[str, Any] | None = None
    with closing(read_log(app.settings, upstream, target, deadline)) as batches:
        for batch in batches:
            for n in batch:
                if not rows:
                    rows = mirror.page(upstream, after, 5000)
                    if not rows:
                        break
                row = rows.pop(0)
                after = int(row["position"])
                recomputed = link(
                    previous, n.position, n.topic, n.originator_id, n.originator_version, n.state
                )
                problem = _compare(row, n, recomputed)
                if problem:
                    mismatch = {
                        "position": n.position,
                        "reason": problem,
                        "lastAgreeingPosition": agreed,
                        "mirrorHash": row["running_hash"],
                        "upstreamHash": n.running_hash.hex(),
                    }
                    break
                previous, agreed = recomputed, n.position
                checked += 1
            if mismatch or (not rows and checked >= mirror.count(upstream)):
                break
    if mismatch is None and checked < mirror.count(upstream):  # the upstream's log ends before the mirror
        row = (rows or mirror.page(upstream, agreed, 1))[0]
        mismatch = {
            "position": int(row["position"]),
            "lastAgreeingPosition": agreed,
            "reason": f"the upstream's log ends at {agreed}, HQ's mirror goes on (restored from an older "
            "backup?)",
            "mirrorHash": row["running_hash"],
            "upstreamHash": None,
        }
    return {"upstream": upstream, "checked": checked, "ok": mismatch is None, "mismatch": mismatch}


def _compare(row: dict[str, Any], n: LogRecord, recomputed: bytes) -> str | None:
    if int(row["position"]) != n.position:
        return f"upstream has position {n.position} where HQ recorded {row['position']}"
    if base64.b64decode(row["state"]) != n.state or row["topic"] != n.topic:
        return "the upstream's stored event differs from what HQ recorded"
    if recomputed != n.running_hash or bytes.fromhex(row["running_hash"]) != recomputed:
        return "the running hash does not follow"
    return None


def verify_mirror(app: HqApplication, upstream: str, page: int = 5000) -> dict[str, Any]:
    """Offline proof (no upstream needed): recompute the running hash over HQ's mirror from the genesis and
    check every stored hash and the tracked one, so the mirror is exactly the chain HQ accepted."""
    mirror = app.mirror
    previous, after, checked = GENESIS, 0, 0
    mismatch: dict[str, Any] | None = None
    # The tracked position first: a batch applied meanwhile (its rows and its tracking record together) lies
    # beyond it, and is proved next time.
    tracked_position, tracked_hash, _ = app.replication_position(upstream)
    signed = mirror.signed_heads(upstream, tracked_position)
    while mismatch is None and (rows := mirror.page(upstream, after, page)):
        for row in rows:
            position = int(row["position"])
            if position > tracked_position:
                break
            previous = link(
                previous,
                position,
                row["topic"],
                row["originator_id"],
                int(row["originator_version"]),
                base64.b64decode(row["state"]),
            )
            if previous.hex() != row["running_hash"]:
                mismatch = {
                    "position": position,
                    "reason": "the mirror's running hash does not follow its records",
                }
                break
            if position in signed and not _signed_by(app, upstream, position, previous, *signed[position]):
                mismatch = {"position": position, "reason": f"the mirror here is not what {upstream} signed"}
                break
            after, checked = position, checked + 1
        if rows and int(rows[-1]["position"]) > tracked_position:
            break
    if mismatch is None and (tracked_position, tracked_hash) != (after, previous):
        mismatch = {
            "position": tracked_position,
            "reason": "the tracked position and hash differ from the mirror's end",
        }
    return {
        "upstream": upstream,
        "checked": checked,
        "signedHeads": sum(1 for p in signed if p <= after),
        "position": after,
        "runningHash": previous.hex(),
        "ok": mismatch is None,
        "mismatch": mismatch,
    }


def _signed_by(
    app: HqApplication, upstream: str, position: int, recomputed: bytes, signed_hash: str, signature: bytes
) -> bool:
    """The province's own key signed this head, and the mirror's chain reaches the hash it signed."""
    if recomputed.hex() != signed_hash:
        return False
    try:
        verify_head(app.settings, upstream, app.settings.node_code, position, recomputed, signature)
    except IdentityError:
        return False
    return True

"""Putting HQ right after a follower stopped because a province's history does not follow (R-30).

Never a silent overwrite: the operator first sees the divergence (`divergence`: the audit's first differing
position and both hashes), then re-seeds from the verified common prefix with a reason (`reseed`). HQ keeps
its mirror up to the last position both sides agree on, drops the rest — recording what it dropped, by whom,
why, in a `MirrorReseeded` event — rewinds its tracking record and running hash to that position and rebuilds
the read models it derives from mirrors; the follower then takes the province's log again from there,
checking every link as always.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hq.mirror.verification import audit_upstream, verify_mirror
from shared.domain.errors import IllegalTransition, InvalidValue
from shared.domain.mirror_repair import MirrorReseeded
from shared.domain.operator import Operator
from shared.persistence.integrity import GENESIS

if TYPE_CHECKING:
    from hq.application import HqApplication


def divergence(app: HqApplication, upstream: str, target: str) -> dict[str, Any]:
    """Where HQ's mirror and the province's log part: first differing position, both hashes."""
    return audit_upstream(app, upstream, target)


def reseed(app: HqApplication, upstream: str, keep_upto: int, reason: str, by: Operator) -> dict[str, Any]:
    """Cut the mirror of `upstream` back to `keep_upto` (a position both sides agree on, from `divergence`)."""
    if not reason.strip():
        raise InvalidValue("say why: the repair is on record", field="reason")
    mirror = app.mirror
    kept = mirror.page(upstream, keep_upto - 1, 1) if keep_upto else []
    if keep_upto and (not kept or int(kept[0]["position"]) != keep_upto):
        raise InvalidValue(f"HQ's mirror of {upstream} holds no record at {keep_upto}", field="keepUpto")
    proof = verify_mirror(app, upstream)
    if proof["mismatch"] and proof["mismatch"]["position"] <= keep_upto:
        raise IllegalTransition(
            f"HQ's own mirror does not follow its chain at {proof['mismatch']['position']}: keep less",
            field="keepUpto",
            current_state="brokenMirror",
        )
    dropped = mirror.page(upstream, keep_upto, 10**9)
    if not dropped:
        raise IllegalTransition(
            f"nothing beyond {keep_upto} in HQ's mirror of {upstream}",
            field="keepUpto",
            current_state="inAgreement",
        )
    kept_hash = kept[0]["running_hash"] if kept else GENESIS.hex()
    record = MirrorReseeded(
        upstream=upstream,
        kept_upto=keep_upto,
        kept_hash=kept_hash,
        dropped_from=int(dropped[0]["position"]),
        dropped_upto=int(dropped[-1]["position"]),
        dropped_head_hash=dropped[-1]["running_hash"],
        dropped_records=len(dropped),
        reason=reason.strip(),
        by=by,
    )
    mirror.cut(upstream, keep_upto, kept_hash, kept[0]["recorded_at"] if kept else "", record)
    app.rebuild_read_models()
    return {
        "upstream": upstream,
        "keptUpto": keep_upto,
        "keptHash": kept_hash,
        "droppedFrom": record.dropped_from,
        "droppedUpto": record.dropped_upto,
        "droppedRecords": record.dropped_records,
        "repair": str(record.id),
    }

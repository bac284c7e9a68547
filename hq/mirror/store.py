"""The mirror's tables: each province's public records verbatim (under HQ's own key) with the running hash at each
position, and the heads the province signed (`<prefix>_mirror`, `<prefix>_signed_head`)."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from hq.mirror.verification import audit_upstream, verify_mirror
from shared.audit.trail import attributes_of, told
from shared.domain.errors import NotFound
from shared.domain.mirror_repair import MirrorReseeded

if TYPE_CHECKING:
    from hq.application import HqApplication
    from replication.chain import LogRecord

Bulk = list[tuple[str, list[tuple[Any, ...]]]]


class MirrorRecord:
    """A mirror row as the record it was (what `decode` and the registry's projection read)."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.position = int(row["position"])
        self.topic = row["topic"]
        self.originator_id = row["originator_id"]
        self.originator_version = int(row["originator_version"])
        self.state = base64.b64decode(row["state"])


class Mirror:
    """What HQ holds of each province's log, and the proofs that it is what the province recorded."""

    def __init__(self, app: HqApplication) -> None:
        self.app = app
        self.table = f"{app.schema.prefix}_mirror"
        self.signed_heads_table = (
            f"{app.schema.prefix}_signed_head"  # each batch's head as the province signed it
        )
        self._create()

    def _create(self) -> None:
        queries = self.app.queries
        with queries.cursor(commit=True) as c:
            queries.execute(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.table} (upstream TEXT NOT NULL, position BIGINT NOT NULL, "
                "topic TEXT NOT NULL, originator_id TEXT NOT NULL, originator_version BIGINT NOT NULL, "
                "state TEXT NOT NULL, recorded_at TEXT NOT NULL, running_hash TEXT NOT NULL, channel TEXT NOT NULL, "
                "PRIMARY KEY (upstream, position))",
            )
            queries.execute(
                c,
                f"CREATE TABLE IF NOT EXISTS {self.signed_heads_table} (upstream TEXT NOT NULL, position BIGINT NOT "
                "NULL, hash TEXT NOT NULL, signature TEXT NOT NULL, PRIMARY KEY (upstream, position))",
            )

    def verify(self, upstream: str, page: int = 5000) -> dict[str, Any]:
        """Offline: the mirror is the whole chain HQ accepted and matches every head the province signed."""
        return verify_mirror(self.app, upstream, page)

    def audit(self, upstream: str, target: str) -> dict[str, Any]:
        """Online: the mirror equals the province's log as it stands now (re-read from the start)."""
        return audit_upstream(self.app, upstream, target)

    def writes(self, upstream: str, records: list[LogRecord], last_hash: bytes) -> Bulk:
        """A province's batch as mirror rows and its signed head: written in the batch's own transaction."""
        rows = [
            (
                upstream,
                r.position,
                r.topic,
                r.originator_id,
                r.originator_version,
                base64.b64encode(self.app.sealed(r.state)).decode(),
                r.recorded_at,
                r.running_hash.hex(),
                r.channel,
            )
            for r in records
        ]
        insert = (
            f"INSERT INTO {self.table} (upstream, position, topic, originator_id, originator_version, "
            "state, recorded_at, running_hash, channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        last = records[-1]
        signed = (
            [(upstream, last.position, last_hash.hex(), last.head_signature.hex())]
            if last.head_signature
            else []
        )
        sign = (
            f"INSERT INTO {self.signed_heads_table} (upstream, position, hash, signature) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (upstream, position) DO NOTHING"
        )
        return [(insert, rows), (sign, signed)]

    def signed_heads(self, upstream: str, upto: int) -> dict[int, tuple[str, bytes]]:
        rows = self.app.queries.rows(
            f"SELECT position, hash, signature FROM {self.signed_heads_table} WHERE upstream = ? "
            "AND position <= ?",
            [upstream, upto],
        )
        return {int(r["position"]): (r["hash"], bytes.fromhex(r["signature"])) for r in rows}

    def page(self, upstream: str, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        """Mirrored records as the province sent them (kept encrypted under HQ's own key, decrypted here)."""
        rows = self.app.queries.rows(
            f"SELECT upstream, position, topic, originator_id, originator_version, state, recorded_at, "
            f"running_hash, channel FROM {self.table} WHERE upstream = ? AND position > ? "
            "ORDER BY position LIMIT ?",
            [upstream, after, limit],
        )
        for row in rows:
            row["state"] = base64.b64encode(self._opened(base64.b64decode(row["state"]))).decode()
        return rows

    def records(self, upstream: str, page: int = 5000) -> Iterator[list[MirrorRecord]]:
        """The whole mirror of one province, page by page, as records."""
        after = 0
        while rows := self.page(upstream, after, page):
            yield [MirrorRecord(r) for r in rows]
            after = int(rows[-1]["position"])

    def _opened(self, sealed: bytes) -> bytes:
        try:
            return self.app.plain(sealed)
        except ValueError:  # changed behind HQ's back: the chain will not follow it, and says where
            return b"(a mirror row that HQ's key does not open)"

    def history(self, upstream: str, originator_id: str) -> list[dict[str, Any]]:
        """Every mirrored event of one of a province's aggregates, with the fields it changed, in order."""
        rows = self.app.queries.rows(
            f"SELECT position, topic, originator_id, originator_version, state FROM {self.table} "
            "WHERE upstream = ? AND originator_id = ? ORDER BY position",
            [upstream, originator_id],
        )
        if not rows:
            raise NotFound(
                f"no mirrored events of '{originator_id[:64]}' from {upstream}", field="aggregate_id"
            )
        for row in rows:
            row["state"] = base64.b64encode(self._opened(base64.b64decode(row["state"]))).decode()
        return told(((int(r["position"]), self.app.decode(MirrorRecord(r))) for r in rows), attributes_of)

    def count(self, upstream: str) -> int:
        rows = self.app.queries.rows(f"SELECT COUNT(*) AS n FROM {self.table} WHERE upstream = ?", [upstream])
        return int(rows[0]["n"])

    def upstreams(self) -> list[str]:
        """The provinces HQ holds a mirror of."""
        return [
            r["upstream"]
            for r in self.app.queries.rows(f"SELECT DISTINCT upstream FROM {self.table} ORDER BY upstream")
        ]

    def cut(
        self, upstream: str, keep_upto: int, kept_hash: str, kept_recorded_at: str, repair: MirrorReseeded
    ) -> None:
        """One transaction: the repair's event, the mirror and the tracking record cut back to `keep_upto`, the
        running hash set to the kept record's (see hq/mirror/repair.py)."""
        app = self.app
        recorder: Any = app.recorder
        tracking = "tracking"  # the library's one row per followed log
        if app.settings.store == "postgres":
            tracking = f'"{recorder.datastore.schema}"."{recorder.tracking_table_name}"'
        rewind = (
            (f"UPDATE {tracking} SET notification_id = ? WHERE application_name = ?", [(keep_upto, upstream)])
            if keep_upto
            else (f"DELETE FROM {tracking} WHERE application_name = ?", [(upstream,)])
        )
        app.record(
            repair,
            bulk=[
                (f"DELETE FROM {self.table} WHERE upstream = ? AND position > ?", [(upstream, keep_upto)]),
                (
                    f"DELETE FROM {self.signed_heads_table} WHERE upstream = ? AND position > ?",
                    [(upstream, keep_upto)],
                ),
                rewind,
                (
                    f"UPDATE {app.upstream_table} SET position = ?, running_hash = ?, recorded_at = ? WHERE upstream = ?",
                    [(keep_upto, kept_hash, kept_recorded_at, upstream)],
                ),
            ],
        )

"""The national customer registry (统一客户视图, R-9, R-26): one national customer per certificate number.

HQ keeps each province's customer as a replica aggregate, rebuilt by the province's own events (the domain's
`mutate`) and stored as a library snapshot beside its row; the national view groups the parts by certificate.
"""

from __future__ import annotations

import base64
import json
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import StoredEvent

from hq.registry.documents import national_document, part_document
from hq.registry.read_model import is_national, national_id
from shared.application import CrmApplication
from shared.domain.customer import Customer
from shared.domain.errors import NotFound
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.values import phone_key
from shared.persistence.queries import Filter, Page, contains, equal
from shared.persistence.readmodel import Operation, ReplaceChildren, Upsert


class Touched(NamedTuple):
    """A province customer a batch changed, as it stands after the batch, and who made its last change."""

    customer: Customer
    by: Operator


def replica_snapshot(c: Customer) -> Snapshot:
    """A library snapshot stamped with the customer's own last change, so a rebuild from the mirror
    reproduces the stored replica byte for byte."""
    snapshot = Snapshot.take(c)
    return Snapshot(
        originator_id=snapshot.originator_id,
        originator_version=snapshot.originator_version,
        timestamp=c.modified_on,
        topic=snapshot.topic,
        state=snapshot.state,
    )


class RegistryCommands:
    """Applies replicated customer events and answers national queries."""

    def __init__(self, store: CrmApplication) -> None:
        self.store = store

    def apply(self, upstream: str, events: list[Any]) -> tuple[list[Touched], list[Operation]]:
        """Replay a batch's customer events onto the province customers' replicas; rows per customer touched."""
        replicas = self._replicas(upstream, [e.originator_id for e in events if e.originator_version > 1])
        causes = {}
        for event in events:
            replicas[event.originator_id] = event.mutate(replicas.get(event.originator_id))
            causes[event.originator_id] = event.by
        touched = [Touched(replicas[i], by) for i, by in causes.items() if replicas[i] is not None]
        return touched, [op for t in touched for op in self._rows(upstream, t.customer)]

    def _replicas(self, province: str, customer_ids: list[UUID]) -> dict[UUID, Customer]:
        """The stored replicas (library snapshots) of the customers a batch changes, in one query."""
        wanted = sorted({f"{province}:{i}" for i in customer_ids})
        replicas: dict[UUID, Customer] = {}
        for first in range(0, len(wanted), 500):
            chunk = wanted[first : first + 500]
            rows = self.store.queries.rows(
                "SELECT customer_id, replica_version, replica_topic, replica_state FROM {province_customer} "
                f"WHERE id IN ({', '.join('?' for _ in chunk)})",
                chunk,
            )
            for row in rows:
                customer_id = UUID(row["customer_id"])
                stored = StoredEvent(
                    originator_id=customer_id,
                    originator_version=int(row["replica_version"]),
                    topic=row["replica_topic"],
                    state=base64.b64decode(self.store.schema.unseal(row["replica_state"])),
                )
                replicas[customer_id] = self.store.wire.to_domain_event(stored).mutate(None)
        return replicas

    def _rows(self, province: str, c: Customer) -> list[Operation]:
        stored = self.store.wire.to_stored_event(
            replica_snapshot(c)
        )  # sealed by the table, as the row is written
        part = f"{province}:{c.id}"
        nid = national_id(self.store.queries.blind(f"{c.certificate_type}:{c.certificate_number}"))
        phones = sorted(
            {phone_key(m["characteristic"]["phoneNumber"]) for m in c.contacts if m["mediumType"] == "phone"}
            | {phone_key(m["phoneNumber"]) for m in c.members.values()}
        )
        return [
            Upsert(
                "province_customer",
                {
                    "id": part,
                    "province": province,
                    "customer_id": str(c.id),
                    "certificate": f"{c.certificate_type}:{c.certificate_number}",
                    "national_id": nid,
                    "kind": c.kind,
                    "grade": c.grade,
                    "status": c.status,
                    "industry": c.industry or None,
                    "national": 1 if is_national(c) else 0,
                    "registered_at": c.created_on.isoformat(),
                    "replica_version": stored.originator_version,
                    "replica_topic": stored.topic,
                    "replica_state": base64.b64encode(stored.state).decode(),
                    "name": c.name,
                    "doc": part_document(province, c, nid),
                },
            ),
            ReplaceChildren(
                "province_customer_phone",
                part,
                tuple(
                    {"id": f"{part}:{n}", "part_id": part, "phone": k, "doc": {"phoneNumber": k}}
                    for n, k in enumerate(phones)
                ),
            ),
        ]

    # --- national view ---------------------------------------------------------------------------

    def list_national_customers(
        self,
        *,
        grade: str | None = None,
        industry: str | None = None,
        province: str | None = None,
        kind: str | None = None,
        certificate_number: str | None = None,
        phone_number: str | None = None,
        name: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        lookup = (
            certificate_number is not None or phone_number is not None
        )  # finds any customer, national or not
        filters = [] if lookup else [Filter("national = 1")]
        filters += equal(("grade", grade), ("industry", industry), ("province", province), ("kind", kind))
        filters += contains("name", name)
        blind = self.store.queries.blind
        if certificate_number is not None:
            number = certificate_number.strip().upper()
            filters.append(
                Filter(
                    "certificate IN (?, ?)",
                    (blind(f"idCard:{number}"), blind(f"unifiedSocialCreditCode:{number}")),
                )
            )
        if phone_number is not None:
            phones = self.store.schema.physical("province_customer_phone")
            filters.append(
                Filter(
                    f"id IN (SELECT part_id FROM {phones} WHERE phone = ?)", (blind(phone_key(phone_number)),)
                )
            )
        where = " AND ".join(f"({f.condition})" for f in filters) or "1 = 1"
        params = [p for f in filters for p in f.params]
        total = self.store.queries.rows(
            f"SELECT COUNT(DISTINCT certificate) AS n FROM {{province_customer}} WHERE {where}", params
        )[0]["n"]
        certificates = [
            r["certificate"]
            for r in self.store.queries.rows(
                f"SELECT certificate, MIN(registered_at) AS first FROM {{province_customer}} WHERE {where} "
                "GROUP BY certificate ORDER BY first, certificate LIMIT ? OFFSET ?",
                [*params, limit, offset],
            )
        ]
        return Page(total=int(total), items=[self.national(c) for c in certificates])

    def national(self, certificate: str, unmask: bool = False) -> JSONObject:
        """One national customer from its provinces' parts; `certificate` as stored (its keyed hash)."""
        column = "sealed" if unmask else "doc"
        rows = self.store.queries.rows(
            f"SELECT {column} AS doc FROM {{province_customer}} WHERE certificate = ? ORDER BY registered_at, id",
            [certificate],
        )
        return national_document(
            [self.store.schema.unseal(r["doc"]) if unmask else json.loads(r["doc"]) for r in rows]
        )

    def get_national_customer(self, nid: str, unmask: bool = False) -> JSONObject:
        rows = self.store.queries.rows(
            "SELECT certificate FROM {province_customer} WHERE national_id = ? LIMIT 1", [nid]
        )
        if not rows:
            raise NotFound(f"no national customer with id '{nid}'", field="id")
        return self.national(rows[0]["certificate"], unmask)

    def customers_by_grade(self) -> dict[str, dict[str, int]]:
        """Per province, how many of its customers HQ holds in each grade."""
        grades: dict[str, dict[str, int]] = {}
        for row in self.store.queries.rows(
            "SELECT province, grade, COUNT(*) AS n FROM {province_customer} GROUP BY province, grade"
        ):
            grades.setdefault(row["province"], {})[row["grade"]] = int(row["n"])
        return grades

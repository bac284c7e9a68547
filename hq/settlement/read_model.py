"""The settlement ledger's read model: rules, entries, issued statements; and its audit surface."""

from __future__ import annotations

from hq.settlement.documents import entry_document, rule_document, statement_doc
from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.settlement import SettlementEntry, SettlementRule, SettlementStatement, rule_id
from shared.persistence.readmodel import Operation, Table, Upsert

TABLES = (
    Table("settlement_rule", (("offering_id", "TEXT"),)),
    Table(
        "settlement_entry",
        (
            ("month", "TEXT"),
            ("home", "TEXT"),
            ("delivering", "TEXT"),
            ("offering_id", "TEXT"),
            ("kind", "TEXT"),
            ("billed", "BIGINT"),
            ("share", "BIGINT"),
            ("recorded_at", "TEXT"),
        ),
        indexes=("month", "home", "delivering"),
    ),
    Table("settlement_statement", (("province", "TEXT"), ("month", "TEXT")), indexes=("month",)),
)


def project_rule(r: SettlementRule) -> list[Operation]:
    return [
        Upsert(
            "settlement_rule", {"id": r.offering_id, "offering_id": r.offering_id, "doc": rule_document(r)}
        )
    ]


def project_entry(e: SettlementEntry) -> list[Operation]:
    return [
        Upsert(
            "settlement_entry",
            {
                "id": str(e.id),
                "month": e.month,
                "home": e.home,
                "delivering": e.delivering,
                "offering_id": e.offering_id,
                "kind": e.kind,
                "billed": e.billed,
                "share": e.share,
                "recorded_at": e.created_on.isoformat(),
                "doc": entry_document(e),
            },
        )
    ]


def project_statement(s: SettlementStatement) -> list[Operation]:
    return [
        Upsert(
            "settlement_statement",
            {"id": str(s.id), "province": s.destination, "month": s.month, "doc": statement_doc(s)},
        )
    ]


PROJECTORS = {
    SettlementRule: project_rule,
    SettlementEntry: project_entry,
    SettlementStatement: project_statement,
}
AUDITED = (
    AuditedResource("settlementRule", (SettlementRule,), P.READ_SETTLEMENT, rule_id),
    AuditedResource("settlementEntry", (SettlementEntry,), P.READ_SETTLEMENT),
    AuditedResource("settlementStatement", (SettlementStatement,), P.READ_SETTLEMENT),
)

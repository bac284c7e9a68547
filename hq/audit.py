"""What the audit surface shows at HQ: each resource with the aggregates behind it."""

from __future__ import annotations

from shared.audit.trail import AuditedResource
from shared.auth.roles import Permission as P
from shared.domain.settlement import SettlementEntry, SettlementRule, SettlementStatement, rule_id

AUDITED = (
    AuditedResource("settlementRule", (SettlementRule,), P.READ_SETTLEMENT, rule_id),
    AuditedResource("settlementEntry", (SettlementEntry,), P.READ_SETTLEMENT),
    AuditedResource("settlementStatement", (SettlementStatement,), P.READ_SETTLEMENT),
)

"""The settlement ledger's documents: rules, ledger entries and issued statements."""

from __future__ import annotations

from shared.api.documents import money, statement_document
from shared.domain.json_types import JSONObject
from shared.domain.settlement import DEFAULT_RULE, SettlementEntry, SettlementRule, SettlementStatement

BASE = "/crm/v1"


def rule_document(r: SettlementRule) -> JSONObject:
    return {
        "id": r.offering_id,
        "href": f"{BASE}/settlementRule/{r.offering_id}",
        "@type": "SettlementRule",
        "offeringId": None if r.offering_id == DEFAULT_RULE else r.offering_id,
        "oneTimePercent": r.one_time_percent,
        "monthlyPercent": r.monthly_percent,
        "version": r.version,
        "lastUpdate": r.modified_on.isoformat(),
        "changedBy": {**r.changed_by},
    }


def entry_document(e: SettlementEntry) -> JSONObject:
    return {
        "id": str(e.id),
        "href": f"{BASE}/settlementEntry/{e.id}",
        "@type": "SettlementEntry",
        "month": e.month,
        "homeProvince": e.home,
        "deliveringProvince": e.delivering,
        "customerBill": {"id": e.bill_id},
        "billLineId": e.line_id,
        "productOrder": {"id": e.order_id},
        "productOffering": {"id": e.offering_id},
        "chargeKind": e.kind,
        "billedAmount": money(e.billed),
        "sharePercent": e.share_percent,
        "shareAmount": money(e.share),
        "rule": e.rule,
        "recordedAt": e.created_on.isoformat(),
    }


def statement_doc(s: SettlementStatement) -> JSONObject:
    """An issued statement as HQ keeps it: the province's figures, when issued and which revision."""
    return {
        "id": str(s.id),
        "href": f"{BASE}/settlementStatement/{s.id}",
        "@type": "SettlementStatement",
        **statement_document(s.destination, s.month, s.figures, s.entries),
        "issued": True,
        "issuedAt": s.modified_on.isoformat(),
        "revision": s.version,
    }

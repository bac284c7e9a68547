"""HQ's settlement ledger (一点收费及结算分摊, R-21): apportioning billed cross-province lines, monthly statements.

A home province's bill (public on the cross-province bill channel) arrives here; each line another province
delivered becomes a `SettlementEntry` under the rule for its offering (or the default rule), in the transaction
that tracks the bill, and the bill's `BillApportionment` goes back to the home province for its bill to show. A settlement clerk issues each month's statements; each goes down to its own province.
"""

from __future__ import annotations

import json
from typing import Any

from shared.api.documents import money, statement_document
from shared.domain.billing import billable_cycle, parse_cycle
from shared.domain.calendar import business_date
from shared.domain.operator import SYSTEM, Operator
from shared.domain.settlement import (
    DEFAULT_RULE,
    BillApportionment,
    SettlementEntry,
    SettlementRule,
    SettlementStatement,
    rule_id,
    statement_figures,
    statement_id,
)
from shared.persistence.queries import Page, equal
from shared.persistence.readmodel import Operation, Table, Upsert

BILL_ISSUED = "shared.domain.billing:CustomerBill.Issued"
BASE = "/crm/v1"

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


def rule_document(r: SettlementRule) -> dict[str, Any]:
    return {
        "id": r.offering_id,
        "href": f"{BASE}/settlementRule/{r.offering_id}",
        "@type": "SettlementRule",
        "offeringId": None if r.offering_id == DEFAULT_RULE else r.offering_id,
        "oneTimePercent": r.one_time_percent,
        "monthlyPercent": r.monthly_percent,
        "version": r.version,
        "lastUpdate": r.modified_on.isoformat(),
        "changedBy": r.changed_by,
    }


def entry_document(e: SettlementEntry) -> dict[str, Any]:
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
    doc = {
        "id": str(s.id),
        "href": f"{BASE}/settlementStatement/{s.id}",
        "@type": "SettlementStatement",
        **statement_document(s.destination, s.month, s.figures, s.entries),
        "issued": True,
        "issuedAt": s.modified_on.isoformat(),
        "revision": s.version,
    }
    return [
        Upsert(
            "settlement_statement", {"id": str(s.id), "province": s.destination, "month": s.month, "doc": doc}
        )
    ]


PROJECTORS = {
    SettlementRule: project_rule,
    SettlementEntry: project_entry,
    SettlementStatement: project_statement,
}


class SettlementLedger:
    """Mixed into the HQ application."""

    def on_start(self) -> None:
        """The default rule is an event like any change to it: who set it and when is on record."""
        if self.find(SettlementRule, rule_id(DEFAULT_RULE)) is None:
            self.record(
                SettlementRule.define(DEFAULT_RULE, 100, self.settings.settlement_monthly_percent, SYSTEM)
            )

    # --- the ledger, inside a replicated batch ------------------------------------------------------

    def apportion(self, home: str, bill: Any) -> None:
        """A home province's bill: one ledger entry per line another province delivered, and the bill's
        apportionment sent back home so that the bill shows exactly these shares."""
        entries = []
        for line in bill.lines:
            delivering = line.get("deliveringProvince") or home
            if delivering == home:
                continue
            rule = (
                self.find(SettlementRule, rule_id(line["offeringId"])) if line.get("offeringId") else None
            ) or self.load(SettlementRule, rule_id(DEFAULT_RULE))
            entries.append(
                SettlementEntry.apportion(
                    month=bill.cycle,
                    home=home,
                    bill_id=str(bill.originator_id),
                    line=line,
                    rule=rule,
                    by=bill.by,
                )
            )
        if entries:
            self.created(
                *entries,
                BillApportionment(
                    destination=home,
                    bill_id=str(bill.originator_id),
                    month=bill.cycle,
                    lines=[e.share_line() for e in entries],
                    by=bill.by,
                ),
            )

    # --- commands --------------------------------------------------------------------------------

    def set_settlement_rule(self, offering_id: str, data: dict[str, Any], by: Operator) -> dict[str, Any]:
        rule = self.find(SettlementRule, rule_id(offering_id))
        if rule is None:
            if offering_id != DEFAULT_RULE:
                self.get_offering(offering_id)  # a rule names an offering of the catalog
            rule = SettlementRule.define(
                offering_id, data.get("oneTimePercent"), data.get("monthlyPercent"), by
            )
        else:
            rule.change(
                data.get("oneTimePercent", rule.one_time_percent),
                data.get("monthlyPercent", rule.monthly_percent),
                by,
            )
        self.record(rule)
        return rule_document(rule)

    def issue_statements(self, month: str, by: Operator) -> list[dict[str, Any]]:
        """Each province with entries in the month gets its statement (again, when entries arrived since)."""
        month = billable_cycle(month, business_date(self.clock()), "month")
        issued = []
        for province in self._provinces_in(month):
            figures, entries = self._figures(province, month)
            statement = self.find(SettlementStatement, statement_id(province, month))
            if statement is None:
                statement = SettlementStatement(
                    destination=province, month=month, figures=figures, entries=entries, by=by
                )
            else:
                statement.reissue(figures, entries, by)
            issued.append(statement)
        self.record(*issued)
        return [project_statement(s)[0].row["doc"] for s in issued]

    # --- queries ---------------------------------------------------------------------------------

    def list_settlement_rules(self, offset: int = 0, limit: int = 100) -> Page:
        return self.queries.page("settlement_rule", offset=offset, limit=limit)

    def get_settlement_rule(self, offering_id: str) -> dict[str, Any]:
        return self.document("settlement_rule", offering_id, "settlement rule")

    def list_settlement_entries(
        self,
        *,
        month: str | None = None,
        home: str | None = None,
        delivering: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> Page:
        filters = equal(
            ("month", parse_cycle(month, "month") if month else None),
            ("home", home),
            ("delivering", delivering),
        )
        return self.queries.page(
            "settlement_entry", filters, offset=offset, limit=limit, order_by="recorded_at, id"
        )

    def settlement_statements(self, month: str) -> list[dict[str, Any]]:
        """Every province's statement for the month as the ledger stands now, with what was last issued."""
        month = parse_cycle(month, "month")
        issued = {
            r["province"]: r
            for r in self.queries.rows(
                "SELECT province, doc FROM {settlement_statement} WHERE month = ?", [month]
            )
        }
        out = []
        for province in self._provinces_in(month):
            figures, entries = self._figures(province, month)
            doc = statement_document(province, month, figures, entries)
            last = issued.get(province)
            doc["issued"] = last is not None and _issued_equal(last["doc"], doc)
            out.append(doc)
        return out

    def _provinces_in(self, month: str) -> list[str]:
        rows = self.queries.rows(
            "SELECT home AS p FROM {settlement_entry} WHERE month = ? UNION "
            "SELECT delivering AS p FROM {settlement_entry} WHERE month = ?",
            [month, month],
        )
        return sorted(r["p"] for r in rows)

    def _figures(self, province: str, month: str) -> tuple[dict[str, Any], int]:
        rows = self.queries.rows(
            "SELECT home, delivering, SUM(share) AS share, COUNT(*) AS n FROM {settlement_entry} "
            "WHERE month = ? AND (home = ? OR delivering = ?) GROUP BY home, delivering",
            [month, province, province],
        )
        entries = [{"home": r["home"], "delivering": r["delivering"], "share": int(r["share"])} for r in rows]
        return statement_figures(province, entries), sum(int(r["n"]) for r in rows)


def _issued_equal(stored: str, current: dict[str, Any]) -> bool:
    doc = json.loads(stored)
    return all(doc.get(k) == current[k] for k in ("receivable", "payable", "counterpart", "entries"))

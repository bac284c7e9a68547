"""HQ's settlement ledger (一点收费及结算分摊, R-21): apportioning billed cross-province lines, monthly statements.

A home province's bill (public on the cross-province bill channel) arrives here; each line another province
delivered becomes a `SettlementEntry` under the rule for its offering (or the default rule), in the transaction
that tracks the bill, and the bill's `BillApportionment` goes back to the home province for its bill to show. A settlement clerk issues each month's statements; each goes down to its own province.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hq.catalog import HqCatalogCommands
from hq.settlement.documents import rule_document, statement_doc
from hq.settlement.schemas import RuleUpdate
from shared.api.documents import statement_document
from shared.application import CrmApplication
from shared.domain.billing import CustomerBill, billable_cycle, parse_cycle
from shared.domain.calendar import business_date
from shared.domain.json_types import JSONObject
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


class SettlementCommands:
    """The ledger's commands and queries; a rule names an offering of the catalog master."""

    def __init__(self, store: CrmApplication, *, catalog: HqCatalogCommands) -> None:
        self.store = store
        self.catalog = catalog

    def define_default_rule(self) -> None:
        """The default rule is an event like any change to it: who set it and when is on record."""
        if self.store.find(SettlementRule, rule_id(DEFAULT_RULE)) is None:
            self.store.record(
                SettlementRule.define(
                    DEFAULT_RULE, 100, self.store.settings.settlement_monthly_percent, SYSTEM
                )
            )

    # --- the ledger, inside a replicated batch ------------------------------------------------------

    def apportion(self, home: str, bill: CustomerBill.Issued) -> None:
        """A home province's bill: one ledger entry per line another province delivered, and the bill's
        apportionment sent back home so that the bill shows exactly these shares."""
        entries = []
        for line in bill.lines:
            delivering = line.get("deliveringProvince") or home
            if delivering == home:
                continue
            rule = (
                self.store.find(SettlementRule, rule_id(line["offeringId"]))
                if line.get("offeringId")
                else None
            ) or self.store.load(SettlementRule, rule_id(DEFAULT_RULE))
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
            self.store.created(
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

    def set_settlement_rule(self, offering_id: str, update: RuleUpdate, by: Operator) -> JSONObject:
        """A new rule takes both percentages (the domain refuses one missing); a change keeps what it omits."""
        one_time, monthly = update.oneTimePercent, update.monthlyPercent
        rule = self.store.find(SettlementRule, rule_id(offering_id))
        if rule is None:
            if offering_id != DEFAULT_RULE:
                self.catalog.offerings.get_offering(offering_id)  # a rule names an offering of the catalog
            rule = SettlementRule.define(offering_id, one_time, monthly, by)
        else:
            rule.change(
                rule.one_time_percent if one_time is None else one_time,
                rule.monthly_percent if monthly is None else monthly,
                by,
            )
        self.store.record(rule)
        return rule_document(rule)

    def issue_statements(self, month: str, by: Operator) -> list[JSONObject]:
        """Each province with entries in the month gets its statement (again, when entries arrived since)."""
        month = billable_cycle(month, business_date(self.store.clock()), "month")
        issued = []
        for province in self._provinces_in(month):
            figures, entries = self._figures(province, month)
            statement = self.store.find(SettlementStatement, statement_id(province, month))
            if statement is None:
                statement = SettlementStatement(
                    destination=province, month=month, figures=figures, entries=entries, by=by
                )
            else:
                statement.reissue(figures, entries, by)
            issued.append(statement)
        self.store.record(*issued)
        return [statement_doc(s) for s in issued]

    # --- queries ---------------------------------------------------------------------------------

    def list_settlement_rules(self, offset: int = 0, limit: int = 100) -> Page:
        return self.store.queries.page("settlement_rule", offset=offset, limit=limit)

    def get_settlement_rule(self, offering_id: str) -> JSONObject:
        return self.store.document("settlement_rule", offering_id, "settlement rule")

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
        return self.store.queries.page(
            "settlement_entry", filters, offset=offset, limit=limit, order_by="recorded_at, id"
        )

    def settlement_statements(self, month: str) -> list[JSONObject]:
        """Every province's statement for the month as the ledger stands now, with what was last issued."""
        month = parse_cycle(month, "month")
        issued = {
            r["province"]: r
            for r in self.store.queries.rows(
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
        rows = self.store.queries.rows(
            "SELECT home AS p FROM {settlement_entry} WHERE month = ? UNION "
            "SELECT delivering AS p FROM {settlement_entry} WHERE month = ?",
            [month, month],
        )
        return sorted(r["p"] for r in rows)

    def _figures(self, province: str, month: str) -> tuple[dict[str, Any], int]:
        rows = self.store.queries.rows(
            "SELECT home, delivering, SUM(share) AS share, COUNT(*) AS n FROM {settlement_entry} "
            "WHERE month = ? AND (home = ? OR delivering = ?) GROUP BY home, delivering",
            [month, province, province],
        )
        entries = [{"home": r["home"], "delivering": r["delivering"], "share": int(r["share"])} for r in rows]
        return statement_figures(province, entries), sum(int(r["n"]) for r in rows)


def _issued_equal(stored: str, current: Mapping[str, object]) -> bool:
    doc = json.loads(stored)
    return all(doc.get(k) == current[k] for k in ("receivable", "payable", "counterpart", "entries"))

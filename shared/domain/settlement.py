"""One-point billing and settlement (一点收费及结算分摊, R-21).

The home province bills the customer once for every item; HQ apportions each billed cross-province line to the
province that delivered it, under a rule set at HQ (`SettlementRule`: a default, and one per offering that
overrides it), and keeps the ledger (`SettlementEntry`, one per billed line). A month's statement per province
sums what it is owed (receivable) and owes (payable) per counterpart; across all provinces they sum to zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from shared.domain.errors import InvalidValue
from shared.domain.json_types import JSONObject
from shared.domain.operator import Operator
from shared.domain.order import percent_of

DEFAULT_RULE = "default"


def rule_id(offering_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:settlement-rule:{offering_id}")


def entry_id(bill_id: str, line_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:settlement-entry:{bill_id}:{line_id}")


def apportionment_id(bill_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:bill-apportionment:{bill_id}")


def statement_id(province: str, month: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"crm:settlement-statement:{province}:{month}")


def percent(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise InvalidValue("an integer percentage from 0 to 100", field=field)
    return value


class SettlementRule(Aggregate):
    """The share of a billed line owed to the delivering province: one percentage for one-time fees, one for
    monthly fees. `offering_id` is an offering's id, or "default" for every offering without its own rule."""

    @staticmethod
    def create_id(offering_id: str, **_: object) -> UUID:
        return rule_id(offering_id)

    @classmethod
    def define(
        cls, offering_id: str, one_time_percent: object, monthly_percent: object, by: Operator
    ) -> SettlementRule:
        return cls(
            offering_id=offering_id,
            one_time_percent=percent(one_time_percent, "oneTimePercent"),
            monthly_percent=percent(monthly_percent, "monthlyPercent"),
            by=by,
        )

    class Defined(Aggregate.Created):
        offering_id: str
        one_time_percent: int
        monthly_percent: int
        by: Operator

    @event(Defined)
    def __init__(
        self, *, offering_id: str, one_time_percent: int, monthly_percent: int, by: Operator
    ) -> None:
        self.offering_id = offering_id
        self.one_time_percent = one_time_percent
        self.monthly_percent = monthly_percent
        self.changed_by = by.as_dict()

    def change(self, one_time_percent: object, monthly_percent: object, by: Operator) -> None:
        one_time = percent(one_time_percent, "oneTimePercent")
        monthly = percent(monthly_percent, "monthlyPercent")
        if (one_time, monthly) != (self.one_time_percent, self.monthly_percent):
            self._changed(one_time_percent=one_time, monthly_percent=monthly, by=by)

    class Changed(Aggregate.Event):
        one_time_percent: int
        monthly_percent: int
        by: Operator

    @event(Changed)
    def _changed(self, one_time_percent: int, monthly_percent: int, by: Operator) -> None:
        self.one_time_percent = one_time_percent
        self.monthly_percent = monthly_percent
        self.changed_by = by.as_dict()

    def percent_for(self, kind: str) -> int:
        return self.one_time_percent if kind == "oneTime" else self.monthly_percent


class SettlementEntry(Aggregate):
    """One billed cross-province line and the share of it the home province owes the delivering province."""

    @staticmethod
    def create_id(bill_id: str, line_id: str, **_: object) -> UUID:
        return entry_id(bill_id, line_id)

    @classmethod
    def apportion(
        cls,
        *,
        month: str,
        home: str,
        bill_id: str,
        line: dict[str, Any],
        rule: SettlementRule,
        by: Operator,
    ) -> SettlementEntry:
        share_percent = rule.percent_for(line["kind"])
        return cls(
            month=month,
            home=home,
            delivering=line["deliveringProvince"],
            bill_id=bill_id,
            line_id=line["id"],
            order_id=line.get("reference", ""),
            offering_id=line.get("offeringId", ""),
            kind=line["kind"],
            billed=line["amount"],
            share_percent=share_percent,
            share=percent_of(line["amount"], share_percent),
            rule={"id": rule.offering_id, "version": rule.version},
            by=by,
        )

    class Recorded(Aggregate.Created):
        month: str
        home: str
        delivering: str
        bill_id: str
        line_id: str
        order_id: str
        offering_id: str
        kind: str
        billed: int
        share_percent: int
        share: int
        rule: JSONObject
        by: Operator

    @event(Recorded)
    def __init__(
        self,
        *,
        month: str,
        home: str,
        delivering: str,
        bill_id: str,
        line_id: str,
        order_id: str,
        offering_id: str,
        kind: str,
        billed: int,
        share_percent: int,
        share: int,
        rule: JSONObject,
        by: Operator,
    ) -> None:
        self.month = month
        self.home = home
        self.delivering = delivering
        self.bill_id = bill_id
        self.line_id = line_id
        self.order_id = order_id
        self.offering_id = offering_id
        self.kind = kind
        self.billed = billed
        self.share_percent = share_percent
        self.share = share
        self.rule = rule

    def share_line(self) -> JSONObject:
        """The entry as the home province's bill shows it (`BillApportionment`)."""
        return {
            "billLineId": self.line_id,
            "deliveringProvince": self.delivering,
            "chargeKind": self.kind,
            "billedAmount": self.billed,
            "sharePercent": self.share_percent,
            "shareAmount": self.share,
            "rule": self.rule,
            "settlementEntry": str(self.id),
        }


class BillApportionment(Aggregate):
    """At HQ: the ledger entries one home province's bill made, addressed to that province (跨省账单接口), so
    that what its bill shows of a share is what HQ settles — the one rule is applied once, here."""

    @staticmethod
    def create_id(bill_id: str, **_: object) -> UUID:
        return apportionment_id(bill_id)

    class Recorded(Aggregate.Created):
        destination: str
        bill_id: str
        month: str
        lines: list[JSONObject]
        by: Operator

    @event(Recorded)
    def __init__(
        self, *, destination: str, bill_id: str, month: str, lines: list[JSONObject], by: Operator
    ) -> None:
        self.destination = destination
        self.bill_id = bill_id
        self.month = month
        self.lines = lines


class ReceivedApportionment(Aggregate):
    """In the home province: HQ's apportionment of one of its bills, as it arrived (id = HQ's)."""

    @staticmethod
    def create_id(bill_id: str, **_: object) -> UUID:
        return apportionment_id(bill_id)

    class Received(Aggregate.Created):
        bill_id: str
        month: str
        lines: list[JSONObject]
        apportioned_at: str
        by: Operator

    @event(Received)
    def __init__(
        self,
        *,
        bill_id: str,
        month: str,
        lines: list[JSONObject],
        apportioned_at: str,
        by: Operator,
    ) -> None:
        self.bill_id = bill_id
        self.month = month
        self.lines = lines
        self.apportioned_at = apportioned_at


def statement_figures(province: str, entries: Iterable[dict[str, Any]]) -> JSONObject:
    """A province's month from ledger entries ({home, delivering, share}): per counterpart, what it is owed for
    delivering (receivable) and owes for what others delivered to its customers (payable)."""
    counterparts: dict[str, dict[str, int]] = {}
    for e in entries:
        if e["delivering"] == province:
            counterparts.setdefault(e["home"], {"receivable": 0, "payable": 0})["receivable"] += e["share"]
        if e["home"] == province:
            counterparts.setdefault(e["delivering"], {"receivable": 0, "payable": 0})["payable"] += e["share"]
    receivable = sum(c["receivable"] for c in counterparts.values())
    payable = sum(c["payable"] for c in counterparts.values())
    return {
        "counterparts": [
            {"province": p, **c, "net": c["receivable"] - c["payable"]}
            for p, c in sorted(counterparts.items())
        ],
        "receivable": receivable,
        "payable": payable,
        "net": receivable - payable,
    }


class SettlementStatement(Aggregate):
    """At HQ: a province's settlement statement for a month, addressed to that province (跨省账单接口, R-2)."""

    @staticmethod
    def create_id(destination: str, month: str, **_: object) -> UUID:
        return statement_id(destination, month)

    class Issued(Aggregate.Created):
        destination: str
        month: str
        figures: JSONObject
        entries: int
        by: Operator

    @event(Issued)
    def __init__(
        self, *, destination: str, month: str, figures: JSONObject, entries: int, by: Operator
    ) -> None:
        self.destination = destination
        self.month = month
        self.figures = figures
        self.entries = entries

    def reissue(self, figures: JSONObject, entries: int, by: Operator) -> bool:
        """Lines billed late change a month already issued: the province receives the statement again."""
        if (figures, entries) == (self.figures, self.entries):
            return False
        self._reissued(
            destination=self.destination, month=self.month, figures=figures, entries=entries, by=by
        )
        return True

    class Reissued(Aggregate.Event):
        destination: str
        month: str
        figures: JSONObject
        entries: int
        by: Operator

    @event(Reissued)
    def _reissued(
        self, destination: str, month: str, figures: JSONObject, entries: int, by: Operator
    ) -> None:
        self.figures = figures
        self.entries = entries


class ReceivedStatement(Aggregate):
    """In a province: its settlement statement for a month as HQ issued it (id = HQ's statement id)."""

    @staticmethod
    def create_id(statement: str, **_: object) -> UUID:
        return UUID(statement)

    class Received(Aggregate.Created):
        statement: str
        province: str
        month: str
        figures: JSONObject
        entries: int
        issued_at: str
        by: Operator

    @event(Received)
    def __init__(
        self,
        *,
        statement: str,
        province: str,
        month: str,
        figures: JSONObject,
        entries: int,
        issued_at: str,
        by: Operator,
    ) -> None:
        self.province = province
        self.month = month
        self.figures = figures
        self.entries = entries
        self.issued_at = issued_at
        self.revision = 1

    def replace(self, figures: JSONObject, entries: int, issued_at: str, by: Operator) -> None:
        self._replaced(figures=figures, entries=entries, issued_at=issued_at, by=by)

    class Replaced(Aggregate.Event):
        figures: JSONObject
        entries: int
        issued_at: str
        by: Operator

    @event(Replaced)
    def _replaced(self, figures: JSONObject, entries: int, issued_at: str, by: Operator) -> None:
        self.figures = figures
        self.entries = entries
        self.issued_at = issued_at
        self.revision += 1

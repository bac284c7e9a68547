"""The steps HQ takes once when it first starts on a release, each on record (`UpgradeStep`).

2026-12, provinces sign their staff in and bills show HQ's shares: the provinces never received the records of
staff who act on every node, nor any verifier (HQ kept them), nor the apportionment of a bill billed before; so each
member's record goes out again whole, and each bill apportioned into the ledger gets its apportionment sent home.

2027-01, each event's destination is written beside it (shared/persistence/destinations.py): the events recorded
before then have theirs read once from the events themselves, so the log service never decodes one to route it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from eventsourcing.domain import Aggregate

from shared.application import CrmApplication
from shared.domain.operator import SYSTEM
from shared.domain.settlement import BillApportionment, SettlementEntry, apportionment_id
from shared.domain.staff import StaffMember, staff_id
from shared.domain.upgrade import UpgradeStep, upgrade_id
from shared.persistence import destinations

log = logging.getLogger(__name__)

DIRECTORY_TO_PROVINCES = "2026-12-directory-to-provinces"
APPORTIONMENTS_HOME = "2026-12-bill-apportionments-home"
DESTINATIONS_BESIDE_EVENTS = "2027-01-destinations-beside-events"


def take_upgrade_steps(app: CrmApplication, steps: Iterable[tuple[str, Step]] | None = None) -> None:
    for step, take in steps or STEPS:
        if app.find(UpgradeStep, upgrade_id(step)) is not None:
            continue
        changed, outcome = take(app)
        app.record(*changed, UpgradeStep(step=step, outcome=outcome, by=SYSTEM))
        if any(outcome.values()):
            log.warning("upgrade step %s taken: %s", step, outcome)


def republish_directory(app: CrmApplication) -> tuple[list[Aggregate], dict[str, int]]:
    members = [
        app.find(StaffMember, staff_id(row["id"])) for row in app.queries.rows("SELECT id FROM {staff}")
    ]
    sent: list[Aggregate] = []
    for member in members:
        if member is not None and member.destination:
            member.republish(SYSTEM)
            sent.append(member)
    return sent, {"membersSent": len(sent)}


def send_apportionments(app: CrmApplication) -> tuple[list[Aggregate], dict[str, int]]:
    rows = app.queries.rows("SELECT id, doc FROM {settlement_entry} ORDER BY id")
    by_bill: dict[str, list[SettlementEntry]] = {}
    for row in rows:
        entry = app.find(SettlementEntry, row["id"])
        if entry is not None:
            by_bill.setdefault(entry.bill_id, []).append(entry)
    sent: list[Aggregate] = []
    for bill_id, entries in sorted(by_bill.items()):
        if app.find(BillApportionment, apportionment_id(bill_id)) is None:
            sent.append(
                BillApportionment(
                    destination=entries[0].home,
                    bill_id=bill_id,
                    month=entries[0].month,
                    lines=[e.share_line() for e in entries],
                    by=SYSTEM,
                )
            )
    return sent, {"billsSent": len(sent)}


def address_recorded_events(app: CrmApplication) -> tuple[list[Aggregate], dict[str, int]]:
    """Nothing to record but the step itself: the rows go beside the events they address (idempotent)."""
    return [], {"eventsAddressed": destinations.backfill(app.recorder, app.schema.prefix, app.mapper)}


Step = Callable[[CrmApplication], tuple[list[Aggregate], dict[str, int]]]
STEPS: tuple[tuple[str, Step], ...] = (
    (DIRECTORY_TO_PROVINCES, republish_directory),
    (APPORTIONMENTS_HOME, send_apportionments),
    (DESTINATIONS_BESIDE_EVENTS, address_recorded_events),
)

"""A record HQ addresses to a province that no policy entry applies fails its batch, as before the policy was
dispatched by class: it is never skipped with the tracking position moved past it."""

from __future__ import annotations

import pytest
from eventsourcing.domain import Aggregate, event

from province.application import ProvinceApplication
from replication.chain import LogRecord
from shared.classification import HQ_PUBLIC, ReplicationChannel


class Notice(Aggregate):
    """An HQ record type this province has no policy entry for (a newer HQ's, say)."""

    class Sent(Aggregate.Created):
        destination: str

    @event(Sent)
    def __init__(self, destination: str) -> None:
        self.destination = destination


def _record(app: ProvinceApplication, aggregate: Aggregate, position: int) -> LogRecord:
    stored = app.wire.to_stored_event(aggregate.collect_events()[0])
    return LogRecord(
        position=position,
        topic=stored.topic,
        originator_id=str(stored.originator_id),
        originator_version=stored.originator_version,
        state=stored.state,
        recorded_at="2026-12-04T00:00:00+00:00",
        source="HQ",
        running_hash=bytes(32),
        channel=ReplicationChannel.BUSINESS_DATA.value,
    )


def test_an_addressed_record_without_a_policy_entry_fails_its_batch(province, monkeypatch):
    topic = f"{__name__}:Notice.Sent"
    monkeypatch.setitem(HQ_PUBLIC, topic, ReplicationChannel.BUSINESS_DATA)
    before = province.replication_position("HQ")
    with pytest.raises(LookupError, match="no policy entry applies it here"):
        province.apply_replicated("HQ", [_record(province, Notice(destination="GD"), 1)], bytes(32))
    assert province.replication_position("HQ") == before  # nothing recorded, not even the tracking position


def test_the_same_record_addressed_elsewhere_is_passed_over(province, monkeypatch):
    monkeypatch.setitem(HQ_PUBLIC, f"{__name__}:Notice.Sent", ReplicationChannel.BUSINESS_DATA)
    province.apply_replicated("HQ", [_record(province, Notice(destination="BJ"), 1)], bytes(32))
    assert province.replication_position("HQ")[0] == 1

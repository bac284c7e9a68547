"""Domain model: aggregates, events, value objects and rules. Standard library and eventsourcing.domain only."""

"""Adapters to the event store's databases: read-model tables written in the events' own transaction."""

"""gRPC log service, followers and the event-type classification's transport side."""

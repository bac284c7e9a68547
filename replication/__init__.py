"""Transport only: the gRPC log service (server, streams), the follower, the running-hash chain, the codec between
messages and records, TLS and node identity, and the runtime that runs them beside a node. What a node does with
what it receives (HQ's mirror, REST routes) lives with that node."""

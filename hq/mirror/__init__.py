"""HQ's mirror of each province's public log (R-30): its store, its proofs, its repair and its REST routes.

`HqApplication` has one (`self.mirror = Mirror(self)`); the follower's batches write into it in their own
transaction, and the registry and statistics are rebuilt from it.
"""

"""Whole-node replay (issue 10) at HQ: what HQ derives from its mirrors replays to the same read models."""

from __future__ import annotations

from crm.bootstrap import open_hq
from province.customers.schemas import CustomerCreate
from shared.audit.replay import replay_and_compare


def test_replay_at_hq_covers_what_it_derives_from_the_mirrors(tmp_path):
    from tests.support.factories import BY, group
    from tests.support.nodes import cluster, eventually

    with cluster("sqlite", tmp_path, ("GD",)) as nodes:
        nodes["GD"].app.customers.register_customer(CustomerCreate.model_validate(group()), BY)
        hq = nodes["HQ"].app
        eventually(lambda: hq.registry.list_national_customers(limit=1).total == 1)
        scratch = open_hq(hq.settings)
        try:
            result = replay_and_compare(hq, scratch)
        finally:
            scratch.close()
        assert result["identical"], result["differences"][:3]

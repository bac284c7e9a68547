"""`crm replication …`: an operator puts HQ right when a province's history stopped following (R-30)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from shared.domain.errors import DomainError
from shared.domain.operator import Operator
from shared.persistence.node_lock import hold_node
from shared.settings import Settings

if TYPE_CHECKING:
    from crm.cli import Parser
    from hq.application import HqApplication
    from shared.application import CrmApplication

MANUAL = """\
When HQ's follower of a province stops with "history changed" (the province was restored from an older backup,
or its log was changed), HQ never overwrites what it mirrored by itself. Put it right in four steps:

  1. crm replication divergence --upstream GD --data-dir DIR [--upstreams GD=host:port]
       Re-read GD's log and compare it with HQ's mirror: the first differing position, the last position both
       agree on, HQ's and GD's running hashes there. Exit 1 while they differ.
  2. Decide which side is right. If GD's log is (it was verified: `crm audit verify` at GD), stop HQ and run
     crm replication reseed --upstream GD --keep-upto N --reason "GD restored from the 02:00 backup" \\
         --by OPERATOR --data-dir DIR
       with N the last agreeing position from step 1. HQ records the repair (what it drops, hashes included,
       who, why: it shows in `crm audit operations --type MirrorReseeded`), cuts its mirror and tracking record
       back to N and rebuilds what it derives from mirrors.
  3. Start HQ: its follower takes GD's log again from N, checking every link; `crm replication divergence`
     (or POST /replication/audit/GD) then passes.
  4. GD takes HQ's stream again by itself: what HQ relays about orders GD lost with its restore is kept there
     as orphans (GET /replication/orphans on GD). Done when every follower is `streaming` on both nodes'
     /replication/status and /health shows no `degraded` list.
"""


def add_replication_commands(
    commands: argparse._SubParsersAction[Parser],
    node_options: Callable[[argparse.ArgumentParser], None],
    upstream_option: Callable[[argparse.ArgumentParser, str], None],
    hq_settings: Callable[[argparse.Namespace], Settings],
    open_store: Callable[[Settings], HqApplication],
    target_of: Callable[[CrmApplication, str], str],
) -> None:
    replication = commands.add_parser(
        "replication",
        help="HQ: see where a province's history departs from HQ's "
        "mirror, and re-seed the mirror from the agreeing part",
        description=MANUAL,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = replication.add_subparsers(dest="action", required=True, metavar="COMMAND")

    def divergence(args: argparse.Namespace) -> None:
        from hq.mirror.repair import divergence as find

        app = open_store(hq_settings(args))
        try:
            result = find(app, args.upstream.upper(), target_of(app, args.upstream.upper()))
        finally:
            app.close()
        print(json.dumps(result, indent=2))
        if not result["ok"]:
            raise SystemExit(1)

    parser = actions.add_parser("divergence", help="first differing position and both hashes")
    node_options(parser)
    parser.add_argument("--upstream", required=True)
    upstream_option(parser, "GD=127.0.0.1:9101")
    parser.set_defaults(func=divergence)

    def reseed(args: argparse.Namespace) -> None:
        from hq.mirror.repair import reseed as cut

        settings = hq_settings(args)
        with hold_node(settings, "re-seeding its mirror"):
            app = open_store(settings)
            try:
                result = cut(
                    app,
                    args.upstream.upper(),
                    args.keep_upto,
                    args.reason,
                    Operator(actor=args.by, role="systemAdmin", channel="system"),
                )
            except DomainError as refused:
                raise SystemExit(f"{refused.field}: {refused.reason}") from None
            finally:
                app.close()
        print(json.dumps(result, indent=2))

    parser = actions.add_parser(
        "reseed",
        help="HQ stopped: keep the mirror up to an agreeing position, drop and "
        "record the rest, take the province's log again from there",
    )
    node_options(parser)
    parser.add_argument("--upstream", required=True)
    parser.add_argument(
        "--keep-upto",
        dest="keep_upto",
        type=int,
        required=True,
        help="the last position both sides agree on (from `divergence`)",
    )
    parser.add_argument("--reason", required=True)
    parser.add_argument("--by", required=True, help="who does the repair (on record)")
    parser.set_defaults(func=reseed)

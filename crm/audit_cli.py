"""`crm audit …`: the auditors' commands, on a node's own store (a stopped node, or beside a running one).

Every command reads; none records an event. Output is JSON (one document) or JSON Lines (one event per line),
so it can be kept, diffed and handed on.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from shared.audit.trail import AuditedResource, AuditTrail
from shared.domain.errors import DomainError
from shared.domain.json_types import JSONObject

if TYPE_CHECKING:
    from crm.bootstrap import NodeApplication
    from crm.cli import Parser

MANUAL = """\
Auditing a node (R-28, R-30): every command reads the node's own store and changes nothing.

  crm audit verify --code GD --data-dir DIR
      Recompute the chain over the node's whole log (every event as stored) and compare it with the link the
      node wrote beside each event. Exit 0 when intact; otherwise exit 1 naming the first position that was
      changed, deleted or inserted behind the node's back. At HQ, also each province's mirror.
  crm audit history RESOURCE ID --code GD --data-dir DIR
      Every event of one resource in order (JSON Lines): position, version, time, actor, role, channel,
      event type and the fields it changed (before, after). RESOURCE is a TMF resource name: customer,
      productOrder, serviceOrder, billingAccount, customerBill, payment, troubleTicket, productOffering,
      settlementStatement (HQ: productOffering, productOrder, settlementRule, settlementEntry,
      settlementStatement, staff).
  crm audit state RESOURCE ID [--version N | --as-of 2026-11-25T08:00:00+00:00] --code GD --data-dir DIR
      The resource's document as it stood then, replayed from its events.
  crm audit operations [--actor A] [--role R] [--channel C] [--type Customer] [--since T] [--until T] …
      The operation log (JSON Lines): who did what, when, through which channel, on which aggregate;
      reading personal data in full appears as PersonalDataRead.
  crm audit replay --code GD --data-dir DIR
      Rebuild every read model from the event store into scratch tables beside the live ones (a progress bar
      on stderr) and compare them row by row: nothing on a healthy node; otherwise table, key and column of
      each difference (exit 1). The scratch tables are dropped afterwards.
  crm audit export [--format jsonl|csv] [--type T] [--since T] [--until T] [--resource R --id ID] [--to FILE]
      Events decoded (personal data masked), streamed in constant memory; the last line carries a running
      hash over the lines and their count.
  crm audit check-export FILE
      Recompute an export's running hash: exit 0 when the file is what was exported.
  crm audit mirror --upstream GD [--offline] --data-dir DIR
      HQ: prove a province's mirror is a whole chain and, unless --offline, equals the province's log now.

Personal data (certificate and phone numbers) is printed masked, as the API shows it.
"""


def _time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time with its zone, e.g. 2026-11-25T08:00:00+00:00")
    return parsed


def _lines(items: Iterable[Mapping[str, object]]) -> None:
    from shared.persistence.protection import mask

    for item in items:
        sys.stdout.write(json.dumps(mask(item), ensure_ascii=False) + "\n")


def _document(document: Mapping[str, object]) -> None:
    from shared.persistence.protection import mask

    print(json.dumps(mask(document), indent=2, ensure_ascii=False))


def add_audit_commands(
    commands: argparse._SubParsersAction[Parser],
    node_options: Callable[[argparse.ArgumentParser], None],
    open_node: Callable[[argparse.Namespace], NodeApplication],
    mirror: Callable[[argparse.Namespace], None],
    upstream_option: Callable[[argparse.ArgumentParser, str], None],
) -> None:
    audit = commands.add_parser(
        "audit",
        help="auditors: verify, history, past states, operation log, mirrors",
        description=MANUAL,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = audit.add_subparsers(dest="action", required=True, metavar="COMMAND")

    def command(
        name: str, help_text: str, run: Callable[[NodeApplication, argparse.Namespace], int | None]
    ) -> argparse.ArgumentParser:
        parser = actions.add_parser(name, help=help_text, description=help_text)
        node_options(parser)

        def start(args: argparse.Namespace) -> None:
            application = open_node(args)
            try:
                code = run(application, args)
            except DomainError as refused:
                raise SystemExit(f"{refused.field}: {refused.reason}") from None
            finally:
                application.close()
            if code:
                raise SystemExit(code)

        parser.set_defaults(func=start)
        return parser

    def verify(app: NodeApplication, args: argparse.Namespace) -> int:
        result = app.integrity()
        _document(result)
        return 0 if _proved(result) else 1

    command(
        "verify",
        "prove the node's whole log (and, at HQ, each mirror) unchanged; exit 1 and the first "
        "bad position otherwise",
        verify,
    )

    def history(app: NodeApplication, args: argparse.Namespace) -> None:
        trail = AuditTrail(app, app.audited_resources)
        _lines(trail.history(_resource(trail, args.resource), args.id))

    parser = command("history", "every event of one resource, with who, how and what changed", history)
    parser.add_argument("resource", help="TMF resource name, e.g. customer")
    parser.add_argument("id")

    def state(app: NodeApplication, args: argparse.Namespace) -> None:
        trail = AuditTrail(app, app.audited_resources)
        _document(
            trail.state(_resource(trail, args.resource), args.id, version=args.version, as_of=args.as_of)
        )

    parser = command("state", "a resource's document as it stood at a version or a time", state)
    parser.add_argument("resource")
    parser.add_argument("id")
    parser.add_argument("--version", type=int)
    parser.add_argument("--as-of", dest="as_of", type=_time, help="ISO time with zone")

    def operations(app: NodeApplication, args: argparse.Namespace) -> None:
        trail = AuditTrail(app, app.audited_resources)
        _lines(
            trail.operations(
                actor=args.actor,
                role=args.role,
                channel=args.channel,
                aggregate_type=args.type,
                since=args.since,
                until=args.until,
            )
        )

    parser = command("operations", "the operation log, filtered", operations)
    parser.add_argument("--actor")
    parser.add_argument("--role")
    parser.add_argument("--channel")
    parser.add_argument("--type", help="aggregate type, e.g. Customer, ProductOrder, PersonalDataRead")
    parser.add_argument("--since", type=_time)
    parser.add_argument("--until", type=_time)

    def replay(app: NodeApplication, args: argparse.Namespace) -> int:
        from shared.audit.replay import replay_and_compare

        result = replay_and_compare(app, open_node(args), _progress_bar)
        sys.stderr.write("\n")
        _document(result)
        return 0 if result["identical"] else 1

    command("replay", "rebuild every read model into scratch tables and compare them row by row", replay)

    def export(app: NodeApplication, args: argparse.Namespace) -> None:
        from shared.audit.export import exported

        if bool(args.resource) != bool(args.id):
            raise SystemExit(
                "--resource and --id go together: one resource's history, e.g. --resource customer --id ID"
            )
        trail = AuditTrail(app, app.audited_resources)
        aggregate = trail.aggregate_id_of(_resource(trail, args.resource), args.id) if args.resource else None
        out = open(args.to, "w", encoding="utf-8") if args.to else sys.stdout
        try:
            for line in exported(
                app,
                resource_id=aggregate,
                aggregate_type=args.type,
                since=args.since,
                until=args.until,
                as_csv=args.format == "csv",
            ):
                out.write(line)
        finally:
            if args.to:
                out.close()

    parser = command("export", "events as JSON Lines or CSV with a running hash, in constant memory", export)
    parser.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    parser.add_argument("--type", help="aggregate type, e.g. Customer")
    parser.add_argument("--since", type=_time)
    parser.add_argument("--until", type=_time)
    parser.add_argument("--resource", help="with --id: one resource's history")
    parser.add_argument("--id")
    parser.add_argument("--to", help="file to write (default: standard output)")

    def check(args: argparse.Namespace) -> None:
        from shared.audit.export import check_export

        try:
            with open(args.file, encoding="utf-8") as lines:
                result = check_export(lines)
        except UnicodeDecodeError:
            raise SystemExit(
                f"{args.file} is not an export (not UTF-8 text): give the file `crm audit export` wrote"
            ) from None
        print(json.dumps(result, indent=2))
        if not result["ok"]:
            raise SystemExit(1)

    parser = actions.add_parser("check-export", help="recompute an export's running hash")
    parser.add_argument("file")
    parser.set_defaults(func=check)

    parser = actions.add_parser(
        "mirror",
        help="HQ: a province's mirror against its chain and its log now",
        description="HQ: prove a province's mirror is a whole chain (and matches the heads "
        "it signed) and, unless --offline, equals the province's log now",
    )
    node_options(parser)
    parser.add_argument("--upstream", required=True, help="province code, e.g. GD")
    upstream_option(parser, "GD=127.0.0.1:9101")
    parser.add_argument("--offline", action="store_true", help="check HQ's mirror chain only")
    parser.set_defaults(func=mirror)


def _proved(result: JSONObject) -> bool:
    """The node's log and, at HQ, every mirror proved."""
    log, mirrors = result["log"], result.get("mirrors") or []
    return (
        isinstance(log, dict)
        and bool(log["ok"])
        and isinstance(mirrors, list)
        and all(isinstance(m, dict) and m["ok"] for m in mirrors)
    )


def _progress_bar(done: int, total: int) -> None:
    width = 40
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\rreplaying [{'#' * filled}{'.' * (width - filled)}] {done}/{total} events")
    sys.stderr.flush()


def _resource(trail: AuditTrail, name: str) -> AuditedResource:
    if name not in trail.resources:
        raise SystemExit(f"no resource '{name}' here; one of {', '.join(trail.resources)}")
    return trail.resources[name]

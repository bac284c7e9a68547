"""`crm backup` and `crm restore` (R-31): a consistent copy of a running node, and a node brought back from one."""

from __future__ import annotations

import argparse
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from crm.failures import one_line
from shared.persistence.backup import BackupError, back_up, restore
from shared.persistence.node_lock import hold_node
from shared.settings import Settings

if TYPE_CHECKING:
    from crm.bootstrap import NodeApplication
    from crm.cli import Parser


def add_backup_commands(
    commands: argparse._SubParsersAction[Parser],
    node_options: Callable[[argparse.ArgumentParser], None],
    settings_of: Callable[[argparse.Namespace], Settings],
    open_node: Callable[[Settings], NodeApplication],
) -> None:
    def backup(args: argparse.Namespace) -> None:
        settings = settings_of(args)
        try:
            back_up(settings, args.to)
        except BackupError as error:
            raise SystemExit(one_line(error)) from None
        except sqlite3.Error as error:  # the copy's file cannot be made where --to says
            raise SystemExit(
                f"{settings.node_code}: cannot write the backup {args.to}: {error}: give a --to in a "
                "directory this user may write"
            ) from None
        print(
            f"{settings.node_code}: backed up to {args.to} ({args.to.stat().st_size:,} bytes); keep the keys "
            "directory safe on its own: the events are encrypted with the node's data key"
        )

    parser = commands.add_parser("backup", help="a consistent copy of a node's store, taken while it runs")
    node_options(parser)
    parser.add_argument("--to", type=Path, required=True, help="the backup file to write")
    parser.set_defaults(func=backup)

    def bring_back(args: argparse.Namespace) -> None:
        settings = settings_of(args)
        with hold_node(settings, "restoring it"):
            _restore(settings, args.source, open_node)

    parser = commands.add_parser(
        "restore",
        help="replace a stopped node's store with a backup, rebuild its read "
        "models and prove its log; it resumes replication on start",
    )
    node_options(parser)
    parser.add_argument("--from", dest="source", type=Path, required=True, help="the backup file")
    parser.set_defaults(func=bring_back)


def _restore(settings: Settings, source: Path, open_node: Callable[[Settings], NodeApplication]) -> None:
    try:
        restore(settings, source)
    except BackupError as error:
        raise SystemExit(one_line(error)) from None
    application = open_node(settings)
    try:
        aggregates = application.rebuild_read_models()
        log = application.check_log()
        result = {
            "node": settings.node_code,
            "restoredFrom": str(source),
            "headPosition": application.head_position(),
            "aggregates": aggregates,
            "log": log,
        }
    finally:
        application.close()
    print(json.dumps(result, indent=2))
    if not log["ok"]:
        raise SystemExit(1)

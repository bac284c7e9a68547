"""The `crm` command line: serve a node, run a local cluster, load demo data, rebuild read models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

from shared.settings import Settings


def _settings(args: argparse.Namespace, **fixed: Any) -> Settings:
    overrides = {k: v for k, v in fixed.items() if v is not None}
    for option, field in (("code", "node_code"), ("port", "http_port"), ("grpc_port", "grpc_port"),
                          ("data_dir", "data_dir"), ("store", "store"), ("host", "http_host")):
        value = getattr(args, option, None)
        if value is not None:
            overrides[field] = value
    return Settings(**overrides)


def _province_app(settings: Settings) -> Any:
    from province.application import ProvinceApplication

    return ProvinceApplication(settings)


def province_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from province.api.app import create_app

    settings = _settings(args, tier="province")
    application = _province_app(settings)
    if args.demo_data:
        from province import demo

        demo.load(application)
    print(f"province {settings.node_code}: http://{settings.http_host}:{settings.http_port}  "
          f"docs http://{settings.http_host}:{settings.http_port}/docs", flush=True)
    try:
        uvicorn.run(create_app(application), host=settings.http_host, port=settings.http_port, log_level="warning")
    finally:
        application.close()


def demo_data(args: argparse.Namespace) -> None:
    from province import demo

    application = _province_app(_settings(args))
    try:
        created = demo.load(application)
        print(created or "the node already holds data; nothing loaded")
    finally:
        application.close()


def projections_rebuild(args: argparse.Namespace) -> None:
    settings = _settings(args)
    application = _province_app(settings)
    try:
        count = application.rebuild_read_models()
        print(f"{settings.node_code}: read models rebuilt from {count} aggregates")
    finally:
        application.close()


def run(args: argparse.Namespace) -> None:
    """`make run`: a province node with demo data on the embedded SQLite store."""
    args.demo_data = True
    province_serve(args)


def _node_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--code", help="province code, e.g. GD (settings: CRM_NODE_CODE)")
    parser.add_argument("--port", type=int, help="REST port (CRM_HTTP_PORT)")
    parser.add_argument("--grpc-port", dest="grpc_port", type=int, help="gRPC port (CRM_GRPC_PORT)")
    parser.add_argument("--host", help="interface to listen on (CRM_HTTP_HOST)")
    parser.add_argument("--data-dir", dest="data_dir", type=Path, help="SQLite directory (CRM_DATA_DIR)")
    parser.add_argument("--store", choices=("sqlite", "postgres"), help="event store (CRM_STORE)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    province = commands.add_parser("province", help="province node").add_subparsers(dest="action", required=True)
    serve = province.add_parser("serve", help="serve a province node's REST API")
    _node_options(serve)
    serve.add_argument("--demo-data", action="store_true", help="load demo data into an empty node first")
    serve.set_defaults(func=province_serve)

    demo = commands.add_parser("demo-data", help="load demo data into a node's store")
    _node_options(demo)
    demo.set_defaults(func=demo_data)

    projections = commands.add_parser("projections", help="read models").add_subparsers(dest="action", required=True)
    rebuild = projections.add_parser("rebuild", help="rebuild every read model from the event store")
    _node_options(rebuild)
    rebuild.set_defaults(func=projections_rebuild)

    run_parser = commands.add_parser("run", help="what `make run` starts")
    _node_options(run_parser)
    run_parser.set_defaults(func=run)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], None] = args.func
    try:
        func(args)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()

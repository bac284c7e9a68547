"""The `crm` command line: serve a node, run a local cluster, load demo data, rebuild read models.

The composition root: the only place that puts provinces, HQ and replication together."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

from shared.auth.roles import Role
from shared.auth.tokens import create_issuer_keys
from shared.persistence.protection import create_cipher_key
from shared.settings import Settings

GRPC_PORT_OFFSET = 1000  # a node's gRPC port is its REST port plus this, unless given


def _settings(args: argparse.Namespace, **fixed: Any) -> Settings:
    overrides = {k: v for k, v in fixed.items() if v is not None}
    for option, field in (("code", "node_code"), ("port", "http_port"), ("grpc_port", "grpc_port"),
                          ("data_dir", "data_dir"), ("store", "store"), ("host", "http_host"), ("keys_dir", "keys_dir")):
        value = getattr(args, option, None)
        if value is not None:
            overrides[field] = value
    return Settings(**overrides)


def _application(settings: Settings) -> Any:
    if settings.store == "postgres":  # a missing database is created; an unreachable one named, not waited for
        from shared.persistence.databases import DatabaseUnavailable, ensure_database

        try:
            if ensure_database(settings):
                print(f"created PostgreSQL database '{settings.database_name}' on {settings.pg_host}:"
                      f"{settings.pg_port}", flush=True)
        except DatabaseUnavailable as error:
            raise SystemExit(f"{settings.node_code}: {error}") from None
    if settings.tier == "hq" or settings.node_code == "HQ":
        from hq.application import HqApplication

        return HqApplication(settings.model_copy(update={"tier": "hq", "node_code": "HQ"}))
    from province.application import ProvinceApplication

    return ProvinceApplication(settings)


def _serve(settings: Settings, demo_data: bool) -> None:
    import uvicorn

    from replication.node import NodeRuntime

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    application = _application(settings)
    if settings.tier == "hq":
        from hq.api.app import create_app
    else:
        from province.api.app import create_app

        if demo_data:
            from province import demo

            demo.load(application)
    runtime = NodeRuntime(application, follow=False).start()
    api = create_app(application)
    api.state.runtime = runtime
    api.router.on_startup.append(runtime.start_followers)  # follow once /replication/status can answer
    base = f"http://{settings.http_host}:{settings.http_port}"
    print(f"{settings.node_code}: {base}  docs {base}/docs  gRPC {settings.grpc_host}:{runtime.grpc_port}", flush=True)
    try:
        uvicorn.run(api, host=settings.http_host, port=settings.http_port, log_level="warning", server_header=False)
    finally:
        runtime.stop()
        application.close()


def province_serve(args: argparse.Namespace) -> None:
    _serve(_settings(args, tier="province"), args.demo_data)


def hq_serve(args: argparse.Namespace) -> None:
    defaults = Settings()
    settings = _settings(args, node_code="HQ", tier="hq")
    if args.port is None and "CRM_HTTP_PORT" not in os.environ:
        settings = settings.model_copy(update={"http_port": defaults.hq_http_port})
    if args.grpc_port is None and "CRM_GRPC_PORT" not in os.environ:
        settings = settings.model_copy(update={"grpc_port": defaults.hq_grpc_port})
    _serve(settings, False)


def demo_data(args: argparse.Namespace) -> None:
    from province import demo

    application = _application(_settings(args))
    try:
        created = demo.load(application)
        print(created or "the node already holds data; nothing loaded")
    finally:
        application.close()


def projections_rebuild(args: argparse.Namespace) -> None:
    settings = _settings(args)
    application = _application(settings)
    try:
        count = application.rebuild_read_models()
        print(f"{settings.node_code}: read models rebuilt from {count} aggregates")
    finally:
        application.close()


def audit(args: argparse.Namespace) -> None:
    """R-30 at HQ: prove the mirror of a province is a whole chain and, unless offline, equals its log now."""
    from replication.audit import audit_upstream, verify_mirror
    from replication.follower import parse_upstreams

    settings = _settings(args, node_code="HQ", tier="hq")
    application = _application(settings)
    try:
        code = args.upstream.upper()
        results = [verify_mirror(application, code)]
        if not args.offline:
            target = parse_upstreams(settings.upstreams).get(code)
            if target is None:
                raise SystemExit(f"no upstream {code} in CRM_UPSTREAMS; use --offline to check the mirror alone")
            results.append(audit_upstream(application, code, target))
    finally:
        application.close()
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if not all(r["ok"] for r in results):
        raise SystemExit(1)


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {timeout:.0f}s")


def cluster_up(args: argparse.Namespace) -> None:
    """HQ and the provinces as separate OS processes on SQLite; Ctrl-C stops them all."""
    settings = Settings()
    provinces = [p.strip().upper() for p in args.provinces.split(",") if p.strip()]
    host = settings.http_host
    base = args.base_port
    grpc_base = args.grpc_base_port or base + GRPC_PORT_OFFSET
    data_dir = Path(args.data_dir or settings.data_dir)
    settings = settings.model_copy(update={"data_dir": data_dir})
    plan = [("HQ", base, grpc_base)] + [(code, base + 1 + i, grpc_base + 1 + i) for i, code in enumerate(provinces)]
    if create_issuer_keys(settings.signing_key_path(), settings.jwks_path()):
        print(f"staff token keys created in {settings.keys_path()}", flush=True)
    for code, _, _ in plan:
        create_cipher_key(settings.model_copy(update={"node_code": code}).cipher_key_path())
    from replication.tls import create_certificates, tls_dir

    create_certificates(tls_dir(settings), [code for code, _, _ in plan])
    demo_staff = enrol_demo_staff(settings, provinces)
    hq_target = f"{settings.grpc_host}:{grpc_base}"
    processes: list[tuple[str, str, subprocess.Popen]] = []
    try:
        for code, port, grpc_port in plan:
            env = {**os.environ, "CRM_DATA_DIR": str(data_dir), "CRM_STORE": "sqlite",
                   "CRM_HTTP_PORT": str(port), "CRM_GRPC_PORT": str(grpc_port), "CRM_NODE_CODE": code}
            if code == "HQ":
                env["CRM_TIER"] = "hq"
                env["CRM_UPSTREAMS"] = ",".join(f"{c}={settings.grpc_host}:{g}" for c, _, g in plan[1:])
                command = [sys.executable, "-m", "crm.cli", "hq", "serve"]
            else:
                env["CRM_TIER"] = "province"
                env["CRM_UPSTREAMS"] = f"HQ={hq_target}"
                command = [sys.executable, "-m", "crm.cli", "province", "serve", "--demo-data"]
            url = f"http://{host}:{port}"
            processes.append((code, url, subprocess.Popen(command, env=env)))
        for code, url, process in processes:
            _wait_healthy(url, process)
        _cross_province_demo({code: url for code, url, _ in processes}, settings)
        print(f"\nDemo staff (sign in: curl -d username=USER -d password=PASSWORD {urls_of(processes)['HQ']}/auth/token):",
              flush=True)
        for user, role, province, password in demo_staff:
            print(f"  {user:26s} {role:16s} {province:3s} {password}", flush=True)
        print("\nCluster up (Ctrl-C stops every node):", flush=True)
        for (code, url, _), (_, _, grpc_port) in zip(processes, plan):
            role = "HQ      " if code == "HQ" else "province"
            print(f"  {role} {code}: {url}  docs {url}/docs  replication {url}/replication/status  "
                  f"gRPC {settings.grpc_host}:{grpc_port}", flush=True)
        while all(p.poll() is None for _, _, p in processes):
            time.sleep(0.5)
        raise SystemExit("a node stopped; stopping the cluster")
    except KeyboardInterrupt:
        print("\nstopping the cluster …", flush=True)
    finally:
        _stop_all([p for _, _, p in processes])


def urls_of(processes: list[tuple[str, str, Any]]) -> dict[str, str]:
    return {code: url for code, url, _ in processes}


def _cross_province_demo(urls: dict[str, str], settings: Settings) -> None:
    from crm import cluster_demo
    from shared.auth.tokens import TokenIssuer

    issuer = TokenIssuer(settings.signing_key_path(), settings.auth_issuer, settings.auth_audience,
                         settings.auth_access_seconds, settings.auth_refresh_seconds)
    nodes = {}
    for code, url in urls.items():
        user, role, province = cluster_demo.staff_of(code)
        nodes[code] = cluster_demo.Node(url, issuer.issue(user, user, role, province))
    try:
        created = cluster_demo.load(nodes)
    except (OSError, TimeoutError) as error:  # the cluster still serves; only the demo is incomplete
        print(f"cross-province demo data not loaded: {error}", flush=True)
        return
    if created:
        print(f"cross-province demo data: {created}", flush=True)


def _stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def run(args: argparse.Namespace) -> None:
    """`make run`: HQ and three provinces with demo data, on SQLite."""
    settings = Settings()
    args.provinces = args.provinces or "GD,BJ,SH"
    args.base_port = args.base_port or settings.hq_http_port
    cluster_up(args)


def _staff_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--user", required=True, help="user name: 2-64 of a-z 0-9 . _ - (a token's subject)")
    parser.add_argument("--name", help="display name, full UTF-8 (default: the user name)")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--province", help="home province of province staff, e.g. GD")


def _node_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--code", help="node code, e.g. GD or HQ (settings: CRM_NODE_CODE)")
    parser.add_argument("--port", type=int, help="REST port (CRM_HTTP_PORT)")
    parser.add_argument("--grpc-port", dest="grpc_port", type=int, help="gRPC port (CRM_GRPC_PORT)")
    parser.add_argument("--host", help="interface to listen on (CRM_HTTP_HOST)")
    parser.add_argument("--data-dir", dest="data_dir", type=Path, help="SQLite directory (CRM_DATA_DIR)")
    parser.add_argument("--store", choices=("sqlite", "postgres"), help="event store (CRM_STORE)")


def _cluster_options(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--provinces", required=required, help="comma-separated province codes, e.g. GD,BJ,SH")
    parser.add_argument("--base-port", dest="base_port", type=int, required=required,
                        help="HQ's REST port; provinces take the following ports in order")
    parser.add_argument("--grpc-base-port", dest="grpc_base_port", type=int,
                        help=f"HQ's gRPC port (default: base port + {GRPC_PORT_OFFSET})")
    parser.add_argument("--data-dir", dest="data_dir", type=Path, help="where the SQLite files live")


def keys_init(args: argparse.Namespace) -> None:
    """The embedded issuer's signing key and public JWKS in the data directory's keys/ (owner-only)."""
    settings = _settings(args)
    created = create_issuer_keys(settings.signing_key_path(), settings.jwks_path())
    print(f"{'created' if created else 'kept the existing'} signing key {settings.signing_key_path()} and public "
          f"keys {settings.jwks_path()}")
    for code in [c.strip().upper() for c in (args.code or settings.node_code).split(",")]:
        path = settings.model_copy(update={"node_code": code}).cipher_key_path()
        print(f"{'created' if create_cipher_key(path) else 'kept the existing'} data key of {code}: {path}")


def certs_init(args: argparse.Namespace) -> None:
    """A development CA and, per node, a TLS certificate and a head-signing key, for mutually authenticated
    replication (production: the operator's own CA; keep ca.key off the nodes)."""
    from replication.tls import create_certificates, tls_dir

    settings = _settings(args)
    nodes = [n.strip().upper() for n in args.nodes.split(",") if n.strip()]
    hosts = tuple(h.strip() for h in (args.hosts or "localhost").split(",") if h.strip())
    made = create_certificates(tls_dir(settings), nodes, hosts)
    print(f"certificates in {tls_dir(settings)}: made for {', '.join(made) or 'none (all existed)'}")


def token_issue(args: argparse.Namespace) -> None:
    """Print a staff token valid on every node whose keys live in the data directory."""
    from shared.auth.roles import EVERY_NODE_ROLES, HQ_ROLES, Role
    from shared.auth.tokens import TokenIssuer
    from shared.domain.values import PROVINCES

    settings = _settings(args)
    role = Role(args.role)
    province = "HQ" if role in HQ_ROLES | EVERY_NODE_ROLES else (args.province or "").upper()
    if province not in PROVINCES | {"HQ"}:
        raise SystemExit(f"a {role.value} works in a province: give --province (e.g. GD)")
    try:
        issuer = TokenIssuer(settings.signing_key_path(), settings.auth_issuer, settings.auth_audience,
                             args.ttl or settings.auth_access_seconds, settings.auth_refresh_seconds)
    except FileNotFoundError as missing:
        raise SystemExit(str(missing)) from None
    print(issuer.issue(args.user, args.name or args.user, role.value, province))


def users_add(args: argparse.Namespace) -> None:
    """Enrol a staff member in HQ's directory (HQ's store in the data directory), recorded as done by `--by`."""
    password = args.password or secrets.token_urlsafe(12)
    app = _application(_settings(args, node_code="HQ", tier="hq"))
    try:
        member = app.enrol_staff({"username": args.user, "name": args.name or args.user, "role": args.role,
                                  "province": args.province, "password": password},
                                 {"actor": args.by, "role": "systemAdmin", "channel": "system"})
    finally:
        app.close()
    print(f"enrolled {member['username']} ({member['role']}, {member['province']})"
          + ("" if args.password else f"; password: {password}"))


def enrol_demo_staff(settings: Settings, provinces: list[str]) -> list[tuple[str, str, str, str]]:
    """The demo cluster's staff, once: (user, role, province, password); the passwords are kept owner-only in
    <keys>/demo-staff.txt so that each start can print them again."""
    from hq.application import HqApplication

    listing = settings.keys_path() / "demo-staff.txt"
    if listing.exists():
        return [tuple(line.split("\t")) for line in listing.read_text().splitlines() if line]  # type: ignore[misc]
    plan = [(f"{code.lower()}.{role}", role, code) for code in provinces
            for role in ("clerk", "customerManager", "provinceAdmin", "billingClerk")]
    plan += [(f"hq.{role}", role, "HQ") for role in ("hqAnalyst", "catalogAdmin", "settlementClerk", "auditor",
                                                      "systemAdmin")]
    app = HqApplication(settings.model_copy(update={"node_code": "HQ", "tier": "hq"}))
    staff = []
    try:
        for user, role, province in plan:
            password = secrets.token_urlsafe(12)
            app.enrol_staff({"username": user, "role": role, "province": province, "password": password},
                            {"actor": "crm.cluster", "role": "systemAdmin", "channel": "system"})
            staff.append((user, role, province, password))
    finally:
        app.close()
    listing.touch(mode=0o600)
    listing.write_text("".join("\t".join(s) + "\n" for s in staff))
    return staff


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    province = commands.add_parser("province", help="province node").add_subparsers(dest="action", required=True)
    serve = province.add_parser("serve", help="serve a province node: REST, its log over gRPC, following HQ")
    _node_options(serve)
    serve.add_argument("--demo-data", action="store_true", help="load demo data into an empty node first")
    serve.set_defaults(func=province_serve)

    hq = commands.add_parser("hq", help="HQ node").add_subparsers(dest="action", required=True)
    hq_serve_parser = hq.add_parser("serve", help="serve HQ: national view, catalog master, following provinces")
    _node_options(hq_serve_parser)
    hq_serve_parser.set_defaults(func=hq_serve)

    cluster = commands.add_parser("cluster", help="a local cluster").add_subparsers(dest="action", required=True)
    up = cluster.add_parser("up", help="start HQ and provinces as separate processes on SQLite")
    _cluster_options(up, required=True)
    up.set_defaults(func=cluster_up)

    demo = commands.add_parser("demo-data", help="load demo data into a province's store")
    _node_options(demo)
    demo.set_defaults(func=demo_data)

    projections = commands.add_parser("projections", help="read models").add_subparsers(dest="action", required=True)
    rebuild = projections.add_parser("rebuild", help="rebuild every read model from the event store")
    _node_options(rebuild)
    rebuild.set_defaults(func=projections_rebuild)

    audit_parser = commands.add_parser("audit", help="HQ: verify a province's mirror and compare it with its log")
    _node_options(audit_parser)
    audit_parser.add_argument("--upstream", required=True, help="province code, e.g. GD")
    audit_parser.add_argument("--offline", action="store_true", help="check HQ's mirror chain only")
    audit_parser.set_defaults(func=audit)

    keys = commands.add_parser("keys", help="staff token keys").add_subparsers(dest="action", required=True)
    keys_init_parser = keys.add_parser("init", help="create the token signing key, its public JWKS, and each "
                                       "node's data key (--code HQ,GD,BJ,SH)")
    _node_options(keys_init_parser)
    keys_init_parser.add_argument("--keys-dir", dest="keys_dir", type=Path, help="default <data dir>/keys")
    keys_init_parser.set_defaults(func=keys_init)

    users = commands.add_parser("users", help="HQ's staff directory").add_subparsers(dest="action", required=True)
    add = users.add_parser("add", help="enrol a staff member (a password is made up and printed if not given)")
    _staff_options(add)
    add.add_argument("--password", help="at least 10 characters")
    add.add_argument("--by", default="crm.cli", help="who enrols them (recorded on the event)")
    _node_options(add)
    add.set_defaults(func=users_add)

    certs = commands.add_parser("certs", help="replication TLS").add_subparsers(dest="action", required=True)
    certs_init_parser = certs.add_parser("init", help="a development CA, and a certificate and head-signing key "
                                         "per node")
    certs_init_parser.add_argument("--nodes", required=True, help="node codes, e.g. HQ,GD,BJ,SH")
    certs_init_parser.add_argument("--hosts", help="extra DNS names in every certificate (default localhost)")
    certs_init_parser.add_argument("--keys-dir", dest="keys_dir", type=Path, help="default <data dir>/keys")
    _node_options(certs_init_parser)
    certs_init_parser.set_defaults(func=certs_init)

    token = commands.add_parser("token", help="staff tokens").add_subparsers(dest="action", required=True)
    issue = token.add_parser("issue", help="print a bearer token for a staff member (scripts, tests, operators)")
    _staff_options(issue)
    issue.add_argument("--ttl", type=int, help="seconds the token is valid (default CRM_AUTH_ACCESS_SECONDS)")
    _node_options(issue)
    issue.set_defaults(func=token_issue)

    run_parser = commands.add_parser("run", help="what `make run` starts: HQ + GD, BJ, SH with demo data")
    _cluster_options(run_parser, required=False)
    run_parser.set_defaults(func=run)
    return parser


def main(argv: list[str] | None = None) -> None:
    os.umask(0o077)  # a node's data files, keys and logs are its operator's only
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], None] = args.func
    try:
        func(args)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()

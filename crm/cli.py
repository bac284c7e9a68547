"""The `crm` command line: serve a node, run a local cluster, load demo data, rebuild read models.

The composition root: the only place that puts provinces, HQ and replication together."""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import grpc

from crm import cluster_config
from crm.audit_cli import add_audit_commands
from crm.backup_cli import add_backup_commands
from crm.failures import explained, one_line
from crm.replication_cli import add_replication_commands
from crm.serve import serve_node
from shared.auth.roles import Role
from shared.auth.tokens import create_issuer_keys, create_signing_key
from shared.domain.errors import DomainError
from shared.domain.operator import Operator
from shared.persistence.node_lock import NodeRunning, hold_node
from shared.persistence.protection import create_cipher_key
from shared.settings import Settings

if TYPE_CHECKING:
    from crm.bootstrap import NodeApplication
    from crm.cluster_demo import Node
    from crm.control import ControlSocket
    from hq.application import HqApplication
    from province.application import ProvinceApplication
    from shared.application import CrmApplication

log = logging.getLogger("crm")

GRPC_PORT_OFFSET = 1000  # a node's gRPC port is its REST port plus this, unless given


def _settings(args: argparse.Namespace, **fixed: Any) -> Settings:  # Any: Settings' own mixed field types
    overrides = {k: v for k, v in fixed.items() if v is not None}
    for option, field in (
        ("code", "node_code"),
        ("port", "http_port"),
        ("grpc_port", "grpc_port"),
        ("data_dir", "data_dir"),
        ("store", "store"),
        ("host", "http_host"),
        ("keys_dir", "keys_dir"),
        ("upstreams", "upstreams"),
    ):
        value = getattr(args, option, None)
        if value is not None:
            overrides[field] = value
    settings = Settings(**overrides)
    node_code(settings.node_code)
    return settings


def node_code(code: str) -> str:
    """HQ or a province's code; anything else is refused before a store or a key is made for it."""
    from shared.domain.values import HQ_CODE, PROVINCES

    if code not in PROVINCES | {HQ_CODE}:
        raise SystemExit(
            f"{code[:16]!r} is not a node's code: give --code HQ or a province's (e.g. GD, BJ, SH; "
            "CRM_NODE_CODE)"
        )
    return code


def _application(settings: Settings) -> NodeApplication:
    if (
        settings.store == "postgres"
    ):  # a missing database is created; an unreachable one named, not waited for
        from shared.persistence.databases import DatabaseUnavailable, ensure_database

        try:
            if ensure_database(settings):
                print(
                    f"created PostgreSQL database '{settings.database_name}' on {settings.pg_host}:"
                    f"{settings.pg_port}",
                    flush=True,
                )
        except DatabaseUnavailable as error:
            raise SystemExit(f"{settings.node_code}: {error}") from None
    import sqlite3

    from eventsourcing.persistence import PersistenceError

    from crm.bootstrap import open_application

    try:
        return open_application(settings)
    except (sqlite3.Error, PersistenceError) as error:  # e.g. a read-only data directory
        if settings.store == "postgres":
            raise SystemExit(
                f"{settings.node_code}: cannot open PostgreSQL database '{settings.database_name}' on "
                f"{settings.pg_host}:{settings.pg_port}: {one_line(error)}: check that the server "
                f"runs and that '{settings.pg_user}' may write the database"
            ) from None
        raise SystemExit(
            f"{settings.node_code}: cannot open its store {settings.sqlite_path()}: {one_line(error)}: "
            f"the data directory and its files must be writable by this user, or choose another "
            "--data-dir (CRM_DATA_DIR)"
        ) from None


def _existing_application(settings: Settings) -> NodeApplication:
    """A node's store that must already exist (audits, backups, repairs): never created by looking at it."""
    if settings.store == "sqlite" and not settings.sqlite_path().is_file():
        raise SystemExit(
            f"{settings.node_code}: no store at {settings.sqlite_path()} (check --code and --data-dir)"
        )
    if settings.store == "postgres":
        from shared.persistence.databases import DatabaseUnavailable, database_exists

        try:
            found = database_exists(settings)
        except DatabaseUnavailable as error:
            raise SystemExit(f"{settings.node_code}: {error}") from None
        if not found:
            raise SystemExit(
                f"{settings.node_code}: no database '{settings.database_name}' on "
                f"{settings.pg_host}:{settings.pg_port}"
            )
    return _application(settings)


def _node_settings(args: argparse.Namespace, tier: str) -> Settings:
    """Flags, then CRM_* variables, then the cluster's file in the data directory, then the defaults."""
    from replication.follower import parse_upstreams

    fixed = {"tier": tier, "node_code": "HQ"} if tier == "hq" else {"tier": tier}
    settings = cluster_config.complete(_settings(args, **fixed))
    if tier == "hq":  # HQ's own default ports
        defaults = {"http_port": settings.hq_http_port, "grpc_port": settings.hq_grpc_port}
        settings = settings.model_copy(
            update={k: v for k, v in defaults.items() if k not in settings.model_fields_set}
        )
    elif settings.node_code == "HQ":
        raise SystemExit("HQ is served with `crm hq serve`; `crm province serve` takes a province's --code")
    try:
        parse_upstreams(settings.upstreams)
    except ValueError as wrong:
        raise SystemExit(f"--upstreams (CRM_UPSTREAMS): {wrong}, e.g. HQ=127.0.0.1:9100") from None
    return settings


def province_serve(args: argparse.Namespace) -> None:
    serve_node(_node_settings(args, "province"), _application, args.demo_data, args.supervised)


def hq_serve(args: argparse.Namespace) -> None:
    serve_node(_node_settings(args, "hq"), _application, False, args.supervised)


def demo_data(args: argparse.Namespace) -> None:
    from province import demo

    settings = _settings(args)
    if settings.node_code == "HQ":
        raise SystemExit("demo data is a province's: give --code GD (or another province's code)")
    application = _province(_application(settings))
    try:
        created = demo.load(application)
        print(created or "the node already holds data; nothing loaded")
    finally:
        application.close()


def projections_rebuild(args: argparse.Namespace) -> None:
    settings = _settings(args)
    with hold_node(settings, "rebuilding its read models"):
        application = _application(settings)
        try:
            count = application.rebuild_read_models()
            print(f"{settings.node_code}: read models rebuilt from {count} aggregates")
        finally:
            application.close()


def _existing_hq(args: argparse.Namespace) -> HqApplication:
    """HQ's store, which must exist (HQ's settings make bootstrap open HQ's application)."""
    return _hq(_existing_application(_node_settings(args, "hq")))


def _hq(application: NodeApplication) -> HqApplication:
    from hq.application import HqApplication

    if not isinstance(application, HqApplication):
        application.close()
        raise SystemExit(f"{application.settings.node_code}: this is HQ's command, not a province's")
    return application


def _province(application: NodeApplication) -> ProvinceApplication:
    from province.application import ProvinceApplication

    if not isinstance(application, ProvinceApplication):
        application.close()
        raise SystemExit("this is a province's command: give --code GD (or another province's code)")
    return application


def _upstream_target(application: CrmApplication, code: str) -> str:
    from replication.follower import parse_upstreams

    target = parse_upstreams(application.settings.upstreams).get(code)
    if target is None:
        raise SystemExit(
            f"no upstream {code} (--upstreams, CRM_UPSTREAMS or the data directory's "
            f"{cluster_config.FILE_NAME})"
        )
    return target


def audit(args: argparse.Namespace) -> None:
    """R-30 at HQ: prove the mirror of a province is a whole chain and, unless offline, equals its log now."""
    from hq.mirror.verification import audit_upstream, verify_mirror

    application = _existing_hq(args)
    try:
        code = args.upstream.upper()
        results = [verify_mirror(application, code)]
        if not args.offline:
            results.append(audit_upstream(application, code, _upstream_target(application, code)))
    finally:
        application.close()
    print(json.dumps(results, indent=2, ensure_ascii=False))
    if not all(r["ok"] for r in results):
        raise SystemExit(1)


# what the cluster's file decides for each node; a value inherited from the supervisor's own environment must not
# override it
PER_NODE_VARIABLES = (
    "CRM_NODE_CODE",
    "CRM_TIER",
    "CRM_HTTP_HOST",
    "CRM_HTTP_PORT",
    "CRM_GRPC_HOST",
    "CRM_GRPC_PORT",
    "CRM_STORE",
    "CRM_UPSTREAMS",
    "CRM_DATA_DIR",
)


def cluster_plan(
    settings: Settings, provinces: list[str], base: int, grpc_base: int
) -> list[cluster_config.ClusterNode]:
    """HQ on the base ports following every province; each province on the next ports following HQ."""

    def node(code: str, tier: str, offset: int, upstreams: dict[str, str]) -> cluster_config.ClusterNode:
        return cluster_config.ClusterNode(
            code=code,
            tier=tier,
            http_host=settings.http_host,
            http_port=base + offset,
            grpc_host=settings.grpc_host,
            grpc_port=grpc_base + offset,
            store="sqlite",
            upstreams=upstreams,
        )

    hq = {"HQ": f"{settings.grpc_host}:{grpc_base}"}
    every_province = {code: f"{settings.grpc_host}:{grpc_base + 1 + i}" for i, code in enumerate(provinces)}
    return [
        node("HQ", "hq", 0, every_province),
        *(node(code, "province", 1 + i, hq) for i, code in enumerate(provinces)),
    ]


def serve_command(node: cluster_config.ClusterNode, data_dir: Path, demo_data: bool) -> list[str]:
    """How the supervisor starts (and restarts) a node: the README's restart command, its upstreams and ports
    from the cluster's file."""
    if node.tier == "hq":
        return [sys.executable, "-m", "crm.cli", "hq", "serve", "--data-dir", str(data_dir), "--supervised"]
    return [
        sys.executable,
        "-m",
        "crm.cli",
        "province",
        "serve",
        "--code",
        node.code,
        "--data-dir",
        str(data_dir),
        "--supervised",
        *(["--demo-data"] if demo_data else []),
    ]


def cluster_up(args: argparse.Namespace) -> None:
    """HQ and the provinces as separate OS processes on SQLite, supervised: a node that dies is restarted with
    backoff; SIGINT or SIGTERM stops them all."""
    from shared.observability.logs import configure_logging

    settings = Settings()
    configure_logging("cluster", settings.log_format)
    data_dir = Path(args.data_dir or settings.data_dir).resolve()
    settings = settings.model_copy(update={"data_dir": data_dir})
    control = _control_socket(settings)
    try:
        _supervise(args, settings, control)
    finally:
        if control is not None:
            control.close()


def _control_socket(settings: Settings) -> ControlSocket | None:
    """The supervisor's socket for `crm cluster stop|start|restart|status`; a second supervisor of the same data
    directory exits here, before it writes anything."""
    from crm.control import ControlSocket, SupervisorRunning

    control = ControlSocket(settings.supervisor_socket_path())
    try:
        control.open()
    except SupervisorRunning as running:
        raise SystemExit(str(running)) from None
    except OSError as error:
        if error.errno is not None:  # a data directory it may not write: nothing else would work there either
            error.filename = error.filename or str(control.path)
            raise
        # a data directory's path too long for a Unix socket: supervise all the same
        log.warning(
            "no `crm cluster stop|start|restart` for this cluster: cannot listen at %s: %s",
            control.path,
            error,
        )
        return None
    return control


def _supervise(args: argparse.Namespace, settings: Settings, control: ControlSocket | None) -> None:
    from crm.supervisor import Stopping, Supervisor

    provinces, data_dir = args.provinces, settings.data_dir
    base = args.base_port
    grpc_base = args.grpc_base_port or base + GRPC_PORT_OFFSET
    plan = cluster_plan(settings, provinces, base, grpc_base)
    if create_issuer_keys(settings.signing_key_path(), settings.jwks_path()):
        print(f"staff token keys created in {settings.keys_path()}", flush=True)
    for node in plan:
        create_cipher_key(settings.model_copy(update={"node_code": node.code}).cipher_key_path())
        if node.tier == "province":
            create_signing_key(settings.province_signing_key_path(node.code))
    from replication.tls import create_certificates, tls_dir

    create_certificates(tls_dir(settings), [node.code for node in plan])
    print(f"cluster config: {cluster_config.write(data_dir, plan)}", flush=True)
    demo = not args.no_demo_data
    demo_staff = enrol_demo_staff(settings, provinces) if demo else []
    env = {k: v for k, v in os.environ.items() if k not in PER_NODE_VARIABLES}
    supervisor = Supervisor(
        initial=settings.restart_initial_seconds,
        cap=settings.restart_cap_seconds,
        stable=settings.restart_stable_seconds,
        grace=settings.stop_grace_seconds,
        control=control,
    )
    try:
        with supervisor:
            children = [
                supervisor.add(
                    node.code,
                    serve_command(node, data_dir, demo),
                    env,
                    f"http://{node.http_host}:{node.http_port}",
                )
                for node in plan
            ]
            for child in children:
                supervisor.wait_healthy(child)
            urls = {child.name: child.url for child in children}
            loading = (lambda: _load_demo(settings, provinces, urls, demo_staff)) if demo else None
            supervisor.watch(meanwhile=loading, then=lambda: _say_cluster_up(plan, urls))
    except Stopping as signal_name:
        print(f"\n{signal_name}: the cluster stopped", flush=True)


def _load_demo(
    settings: Settings,
    provinces: list[str],
    urls: dict[str, str],
    demo_staff: list[tuple[str, str, str, str]],
) -> None:
    """The demo data that needs every node up (in a thread beside the supervisor's loop, which answers orders)."""
    print("loading the demo data (`crm cluster status` answers meanwhile) …", flush=True)
    nodes = _demo_nodes(urls, settings)
    _assign_demo_managers(nodes)
    if len(provinces) > 1:
        _cross_province_demo(nodes)
    else:
        print("cross-province demo data: none (orders between provinces need two of them)", flush=True)
    print(
        f"\nDemo staff (sign in on your node, e.g. curl -d username=USER -d password=PASSWORD "
        f"{urls['HQ']}/auth/token; province staff also at their province's node):",
        flush=True,
    )
    for user, role, province, password in demo_staff:
        print(f"  {user:26s} {role:16s} {province:3s} {password}", flush=True)


def _say_cluster_up(plan: list[cluster_config.ClusterNode], urls: dict[str, str]) -> None:
    print(
        "\nCluster up (a node that stops is restarted; `crm cluster stop|start|restart CODE` for one node; "
        "Ctrl-C stops every node):",
        flush=True,
    )
    for node in plan:
        url = urls[node.code]
        role = "HQ      " if node.tier == "hq" else "province"
        print(
            f"  {role} {node.code}: {url}  docs {url}/docs  replication {url}/replication/status  "
            f"metrics {url}/metrics  gRPC {node.grpc_host}:{node.grpc_port}",
            flush=True,
        )


def cluster_order(args: argparse.Namespace) -> None:
    """`crm cluster stop|start|restart CODE` and `crm cluster status`, carried out by the running supervisor."""
    from crm.control import NoSupervisor, ask
    from crm.supervisor import START_SECONDS

    settings = _settings(args)
    request = {"action": args.action, "node": getattr(args, "node", "")}
    try:  # a restart waits for the node to stop and then to answer
        answer = ask(
            settings.supervisor_socket_path(), request, settings.stop_grace_seconds + START_SECONDS + 30
        )
    except NoSupervisor as missing:
        raise SystemExit(str(missing)) from None
    if not answer.get("ok"):
        raise SystemExit(answer.get("message", "the supervisor refused the order"))
    if args.action == "status":
        print(
            json.dumps(
                {
                    "supervisor": answer.get("supervisor"),
                    "phase": answer.get("phase"),
                    "nodes": answer.get("nodes", []),
                },
                indent=2,
            )
        )
    else:
        print(answer.get("message", "done"))


def _demo_nodes(urls: dict[str, str], settings: Settings) -> dict[str, Node]:
    """Each node's REST API with the demo loader's machine token for it."""
    from crm import cluster_demo
    from shared.auth.tokens import MACHINE
    from shared.auth.trust import node_issuer

    issuer = node_issuer(settings, "HQ")
    nodes = {}
    for code, url in urls.items():
        user, role, province = cluster_demo.staff_of(code)
        nodes[code] = cluster_demo.Node(
            url, issuer.issue(user, user, role, province, kind=MACHINE, ttl=settings.auth_machine_max_seconds)
        )
    return nodes


def _assign_demo_managers(nodes: dict[str, Node]) -> None:
    from crm import demo_managers

    try:
        assigned = {code: demo_managers.assign(node, code) for code, node in nodes.items() if code != "HQ"}
    except (OSError, TimeoutError) as error:  # the cluster still serves; only the demo is incomplete
        print(f"demo customer managers not assigned: {error}", flush=True)
        return
    if any(assigned.values()):
        print(f"demo customers given their customer manager: {assigned}", flush=True)


def _cross_province_demo(nodes: dict[str, Node]) -> None:
    from crm import cluster_demo

    try:
        created = cluster_demo.load(nodes)
    except (OSError, TimeoutError) as error:  # the cluster still serves; only the demo is incomplete
        print(f"cross-province demo data not loaded: {error}", flush=True)
        return
    if created:
        print(f"cross-province demo data: {created}", flush=True)


def run(args: argparse.Namespace) -> None:
    """`make run`: HQ and three provinces with demo data, on SQLite."""
    settings = Settings()
    args.provinces = args.provinces or province_codes("GD,BJ,SH")
    args.base_port = args.base_port or settings.hq_http_port
    cluster_up(args)


def _staff_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user", required=True, help="user name: 2-64 of a-z 0-9 . _ - (compared in lower case)"
    )
    parser.add_argument("--name", help="display name, full UTF-8 (default: the user name)")
    parser.add_argument("--role", required=True, choices=[r.value for r in Role])
    parser.add_argument("--province", help="home province of province staff, e.g. GD")


def port(text: str) -> int:
    """A TCP port to listen on."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text[:16]!r} is not a port (1-65535)")
    return int(text)


def _node_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--code", help="node code, e.g. GD or HQ (settings: CRM_NODE_CODE)")
    parser.add_argument("--port", type=port, help="REST port (CRM_HTTP_PORT)")
    parser.add_argument("--grpc-port", dest="grpc_port", type=port, help="gRPC port (CRM_GRPC_PORT)")
    parser.add_argument("--host", help="interface to listen on (CRM_HTTP_HOST)")
    parser.add_argument("--data-dir", dest="data_dir", type=Path, help="SQLite directory (CRM_DATA_DIR)")
    parser.add_argument("--store", choices=("sqlite", "postgres"), help="event store (CRM_STORE)")


def _store_options(parser: argparse.ArgumentParser) -> None:
    """For commands on a node's store, not its service: no ports."""
    parser.add_argument("--code", help="node code, e.g. GD or HQ (settings: CRM_NODE_CODE)")
    parser.add_argument("--data-dir", dest="data_dir", type=Path, help="SQLite directory (CRM_DATA_DIR)")
    parser.add_argument("--store", choices=("sqlite", "postgres"), help="event store (CRM_STORE)")


def _upstream_option(parser: argparse.ArgumentParser, example: str) -> None:
    parser.add_argument(
        "--upstreams",
        help=f"the logs this node follows, CODE=host:port,… e.g. {example} "
        f"(CRM_UPSTREAMS; default: the data directory's {cluster_config.FILE_NAME})",
    )


def province_codes(text: str) -> list[str]:
    """`--provinces`: one province code or more, each once."""
    from shared.domain.values import PROVINCES

    codes = [code.strip().upper() for code in text.split(",") if code.strip()]
    unknown = [code for code in codes if code not in PROVINCES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"{', '.join(unknown)}: not a province code (one of {', '.join(sorted(PROVINCES))})"
        )
    if not codes or len(set(codes)) != len(codes):
        raise argparse.ArgumentTypeError("give each province once, comma-separated, e.g. GD,BJ,SH")
    return codes


def _supervised_option(parser: argparse.ArgumentParser) -> None:
    """Only the supervisor starts a node of its cluster (the operator asks it with `crm cluster start`)."""
    parser.add_argument("--supervised", action="store_true", help=argparse.SUPPRESS)


def _cluster_options(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument(
        "--provinces",
        required=required,
        type=province_codes,
        help="comma-separated province codes, e.g. GD,BJ,SH (one or more)",
    )
    parser.add_argument(
        "--base-port",
        dest="base_port",
        type=port,
        required=required,
        help="HQ's REST port; provinces take the following ports in order",
    )
    parser.add_argument(
        "--grpc-base-port",
        dest="grpc_base_port",
        type=port,
        help=f"HQ's gRPC port (default: base port + {GRPC_PORT_OFFSET})",
    )
    parser.add_argument(
        "--data-dir",
        dest="data_dir",
        type=Path,
        help=f"where the SQLite files, the keys and the cluster's {cluster_config.FILE_NAME} live",
    )
    parser.add_argument(
        "--no-demo-data",
        dest="no_demo_data",
        action="store_true",
        help="start empty: no demo data, no demo staff",
    )


def keys_distrust(args: argparse.Namespace) -> None:
    """HQ stops trusting a province's signing key, and every province with it (over replication)."""
    app = _existing_hq(args)
    try:
        done = app.staff.distrust_key(
            args.kid, args.reason, Operator(actor=args.by, role="systemAdmin", channel="system")
        )
    except DomainError as invalid:
        raise SystemExit(f"--kid: {invalid.reason}") from None
    finally:
        app.close()
    province = str(done["province"])
    print(
        f"{province}'s key {done['kid']} is distrusted; remove <keys>/{province.lower()}"
        ".signing.pem at that province and start it again to sign with a new one"
    )


def keys_init(args: argparse.Namespace) -> None:
    """The embedded issuer's signing key and public JWKS in the data directory's keys/ (owner-only)."""
    settings = _settings(argparse.Namespace(**{**vars(args), "code": None}))  # --code may name several nodes
    codes = [node_code(c.strip().upper()) for c in (args.code or settings.node_code).split(",") if c.strip()]
    had_public_keys = settings.jwks_path().exists()
    created = create_issuer_keys(settings.signing_key_path(), settings.jwks_path())
    public = "kept the existing" if had_public_keys and not created else "wrote the"
    print(
        f"{'created' if created else 'kept the existing'} signing key {settings.signing_key_path()}; {public} "
        f"public keys {settings.jwks_path()}"
    )
    for code in codes:
        path = settings.model_copy(update={"node_code": code}).cipher_key_path()
        print(f"{'created' if create_cipher_key(path) else 'kept the existing'} data key of {code}: {path}")
        if code != "HQ":  # a province signs its own staff in with its own key
            signing = settings.province_signing_key_path(code)
            print(
                f"{'created' if create_signing_key(signing) else 'kept the existing'} signing key of {code}: "
                f"{signing}"
            )


def certs_init(args: argparse.Namespace) -> None:
    """A development CA and, per node, a TLS certificate and a head-signing key, for mutually authenticated
    replication (production: the operator's own CA; keep ca.key off the nodes)."""
    from replication.tls import create_certificates, tls_dir

    settings = _settings(args)
    nodes = [node_code(n.strip().upper()) for n in args.nodes.split(",") if n.strip()]
    hosts = tuple(h.strip() for h in (args.hosts or "localhost").split(",") if h.strip())
    made = create_certificates(tls_dir(settings), nodes, hosts)
    print(f"certificates in {tls_dir(settings)}: made for {', '.join(made) or 'none (all existed)'}")


def token_issue(args: argparse.Namespace) -> None:
    """Print a machine token (for a script, never a person: the subject may not be a staff member's name), signed
    with HQ's key or, with --code, a province's own key (valid for that province only)."""
    from shared.auth.roles import EVERY_NODE_ROLES, HQ_ROLES, Role
    from shared.auth.tokens import MACHINE
    from shared.auth.trust import node_issuer
    from shared.domain.staff import parse_username
    from shared.domain.values import PROVINCES

    settings = _settings(args)
    role = Role(args.role)
    province = "HQ" if role in HQ_ROLES | EVERY_NODE_ROLES else (args.province or "").upper()
    if province not in PROVINCES | {"HQ"}:
        raise SystemExit(f"a {role.value} works in a province: give --province (e.g. GD)")
    signer = (args.code or "HQ").upper()
    if signer != "HQ" and signer != province:
        raise SystemExit(
            f"{signer}'s key signs only {signer}'s staff: give --province {signer} or sign with HQ's key"
        )
    if args.ttl is not None and not 0 < args.ttl <= settings.auth_machine_max_seconds:
        raise SystemExit(
            f"--ttl: 1 to {settings.auth_machine_max_seconds} seconds (CRM_AUTH_MACHINE_MAX_SECONDS)"
        )
    try:
        subject = parse_username(args.user)
        issuer = node_issuer(settings, signer)
    except FileNotFoundError as missing:
        raise SystemExit(str(missing)) from None
    except DomainError as invalid:
        raise SystemExit(f"--user: {invalid.reason}") from None
    if _hq_directory_holds(settings, subject):
        raise SystemExit(
            f"--user: {subject} is a member of HQ's staff directory: people sign in (POST /auth/token); "
            "give a script's name"
        )
    print(
        issuer.issue(
            subject,
            args.name or subject,
            role.value,
            province,
            kind=MACHINE,
            ttl=args.ttl or settings.auth_access_seconds,
        )
    )


def _hq_directory_holds(settings: Settings, username: str) -> bool:
    """Whether HQ's directory, where its store is reachable from here (the data directory, HQ's database), holds
    the name; elsewhere (a province's machine) every node still refuses a member's name on a machine token."""
    from shared.domain.staff import StaffMember, staff_id

    hq = settings.model_copy(update={"node_code": "HQ", "tier": "hq"})
    if hq.store == "sqlite" and not hq.sqlite_path().is_file():
        return False
    if hq.store == "postgres":
        from shared.persistence.databases import DatabaseUnavailable, database_exists

        try:
            if not database_exists(hq):
                return False
        except DatabaseUnavailable:
            return False
    app = _application(hq)
    try:
        return app.find(StaffMember, staff_id(username)) is not None
    finally:
        app.close()


def users_unlock(args: argparse.Namespace) -> None:
    """Lift a user name's (or a client address's) sign-in wait on a node (its store in the data directory),
    recorded as done by `--by`."""
    if bool(args.user) == bool(args.address):
        raise SystemExit("give --user NAME or --address ADDRESS (one of them)")
    app = _existing_application(_settings(args))
    by = Operator(actor=args.by, role="systemAdmin", channel="system")
    try:
        access = app.staff_access
        lifted = access.unlock(args.user, by) if args.user else access.unlock_address(args.address, by)
    except DomainError as invalid:
        raise SystemExit(f"--{'user' if args.user else 'address'}: {invalid.reason}") from None
    finally:
        app.close()
    print(
        f"{lifted.get('username') or lifted['address']} may sign in at {lifted['node']} again"
        + ("" if lifted["wasLocked"] else " (it was not waiting)")
    )


def users_add(args: argparse.Namespace) -> None:
    """Enrol a staff member in HQ's directory (HQ's store in the data directory), recorded as done by `--by`."""
    from hq.staff.schemas import StaffCreate

    password = args.password or secrets.token_urlsafe(12)
    app = _hq(_application(_settings(args, node_code="HQ", tier="hq")))
    try:
        member = app.staff.enrol_staff(
            StaffCreate(
                username=args.user,
                name=args.name or args.user,
                role=Role(args.role),
                province=args.province,
                password=password,
            ),
            Operator(actor=args.by, role="systemAdmin", channel="system"),
        )
    finally:
        app.close()
    print(
        f"enrolled {member['username']} ({member['role']}, {member['province']})"
        + ("" if args.password else f"; password: {password}")
    )


DEMO_TITLES = {
    "clerk": "营业员",
    "customerManager": "客户经理",
    "provinceAdmin": "省管理员",
    "billingClerk": "账务员",
    "hqAnalyst": "分析员",
    "catalogAdmin": "产品管理员",
    "settlementClerk": "结算员",
    "auditor": "审计员",
    "systemAdmin": "系统管理员",
}


def enrol_demo_staff(settings: Settings, provinces: list[str]) -> list[tuple[str, str, str, str]]:
    """The demo cluster's staff for these provinces: (user, role, province, password). Passwords are kept owner-only
    in <keys>/demo-staff.txt so that each start prints them again; a member HQ's directory does not hold yet (a new
    province, a new data directory) is enrolled with the password listed, or a new one."""
    from crm.bootstrap import open_hq
    from hq.staff.schemas import StaffCreate
    from shared.domain.staff import StaffMember, canonical_username, staff_id

    listing = settings.keys_path() / "demo-staff.txt"
    known = {
        canonical_username(line.split("\t")[0]): line.split("\t")[3]
        for line in (listing.read_text().splitlines() if listing.exists() else [])
        if line.count("\t") == 3
    }
    plan = [
        (canonical_username(f"{code}.{role}"), role, code)
        for code in provinces
        for role in ("clerk", "customerManager", "provinceAdmin", "billingClerk")
    ]
    plan += [
        (canonical_username(f"hq.{role}"), role, "HQ")
        for role in ("hqAnalyst", "catalogAdmin", "settlementClerk", "auditor", "systemAdmin")
    ]
    app = open_hq(settings)
    staff = []
    try:
        for user, role, province in plan:
            password = known.get(user) or secrets.token_urlsafe(12)
            if app.find(StaffMember, staff_id(user)) is None:
                app.staff.enrol_staff(
                    StaffCreate(
                        username=user,
                        name=f"{province} {DEMO_TITLES[role]}",
                        role=Role(role),
                        province=province,
                        password=password,
                    ),
                    Operator(actor="crm.cluster", role="systemAdmin", channel="system"),
                )
            staff.append((user, role, province, password))
    finally:
        app.close()
    listing.touch(mode=0o600)
    listing.write_text("".join("\t".join(s) + "\n" for s in staff))
    return staff


class Parser(argparse.ArgumentParser):
    """A wrong or missing option is one line naming it, and where the options are listed (not the usage)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="crm", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    province = commands.add_parser("province", help="province node").add_subparsers(
        dest="action", required=True
    )
    serve = province.add_parser("serve", help="serve a province node: REST, its log over gRPC, following HQ")
    _node_options(serve)
    _upstream_option(serve, "HQ=127.0.0.1:9100")
    serve.add_argument("--demo-data", action="store_true", help="load demo data into an empty node first")
    _supervised_option(serve)
    serve.set_defaults(func=province_serve)

    hq = commands.add_parser("hq", help="HQ node").add_subparsers(dest="action", required=True)
    hq_serve_parser = hq.add_parser(
        "serve", help="serve HQ: national view, catalog master, following provinces"
    )
    _node_options(hq_serve_parser)
    _upstream_option(hq_serve_parser, "GD=127.0.0.1:9101,BJ=127.0.0.1:9102")
    _supervised_option(hq_serve_parser)
    hq_serve_parser.set_defaults(func=hq_serve)

    cluster = commands.add_parser("cluster", help="a local cluster").add_subparsers(
        dest="action", required=True
    )
    up = cluster.add_parser(
        "up",
        help="start HQ and provinces as separate processes on SQLite, restart any that "
        "dies, write <data dir>/cluster.json",
    )
    _cluster_options(up, required=True)
    up.set_defaults(func=cluster_up)
    for action, what in (
        ("stop", "stop one node of the running cluster; it stays stopped until `start`"),
        ("start", "start a node stopped with `crm cluster stop` (or waiting for its restart)"),
        ("restart", "stop one node and start it again; answers once it is healthy"),
    ):
        order = cluster.add_parser(action, help=what, description=what)
        order.add_argument("node", type=str.upper, help="the node's code, e.g. GD or HQ")
        order.add_argument(
            "--data-dir",
            dest="data_dir",
            type=Path,
            help="the data directory the cluster runs in (CRM_DATA_DIR)",
        )
        order.set_defaults(func=cluster_order)
    status = cluster.add_parser(
        "status", help="each node of the running cluster: running, stopped or restarting, with its pid (JSON)"
    )
    status.add_argument(
        "--data-dir", dest="data_dir", type=Path, help="the data directory the cluster runs in (CRM_DATA_DIR)"
    )
    status.set_defaults(func=cluster_order)

    demo = commands.add_parser("demo-data", help="load demo data into a province's store")
    _node_options(demo)
    demo.set_defaults(func=demo_data)

    projections = commands.add_parser("projections", help="read models").add_subparsers(
        dest="action", required=True
    )
    rebuild = projections.add_parser("rebuild", help="rebuild every read model from the event store")
    _node_options(rebuild)
    rebuild.set_defaults(func=projections_rebuild)

    add_audit_commands(
        commands, _store_options, lambda args: _existing_application(_settings(args)), audit, _upstream_option
    )
    add_backup_commands(commands, _store_options, _settings, _application)
    add_replication_commands(
        commands,
        _store_options,
        _upstream_option,
        lambda args: _node_settings(args, "hq"),
        lambda settings: _hq(_existing_application(settings)),
        _upstream_target,
    )

    keys = commands.add_parser("keys", help="staff token keys").add_subparsers(dest="action", required=True)
    keys_init_parser = keys.add_parser(
        "init",
        help="create HQ's token signing key and its public JWKS, each "
        "node's data key and each province's signing key (--code HQ,GD,BJ,SH)",
    )
    _node_options(keys_init_parser)
    keys_init_parser.add_argument("--keys-dir", dest="keys_dir", type=Path, help="default <data dir>/keys")
    keys_init_parser.set_defaults(func=keys_init)
    distrust = keys.add_parser(
        "distrust",
        help="HQ: stop trusting a province's token signing key on every node "
        "(rotated away, or leaked); recorded",
    )
    distrust.add_argument("--kid", required=True, help="the key's id, as /.well-known/jwks.json lists it")
    distrust.add_argument("--reason", required=True, help="why (recorded on the event)")
    distrust.add_argument("--by", default="crm.cli", help="who decides it (recorded on the event)")
    _store_options(distrust)
    distrust.set_defaults(func=keys_distrust)

    users = commands.add_parser("users", help="HQ's staff directory").add_subparsers(
        dest="action", required=True
    )
    add = users.add_parser(
        "add", help="enrol a staff member (a password is made up and printed if not given)"
    )
    _staff_options(add)
    add.add_argument("--password", help="at least 10 characters")
    add.add_argument("--by", default="crm.cli", help="who enrols them (recorded on the event)")
    _node_options(add)
    add.set_defaults(func=users_add)
    unlock = users.add_parser(
        "unlock", help="lift a user name's sign-in wait on a node (after five failures)"
    )
    unlock.add_argument("--user", help="the user name")
    unlock.add_argument("--address", help="or a client address whose failures hold everyone there back")
    unlock.add_argument("--by", default="crm.cli", help="who lifts it (recorded on the event)")
    _store_options(unlock)
    unlock.set_defaults(func=users_unlock)

    certs = commands.add_parser("certs", help="replication TLS").add_subparsers(dest="action", required=True)
    certs_init_parser = certs.add_parser(
        "init", help="a development CA, and a certificate and head-signing key per node"
    )
    certs_init_parser.add_argument("--nodes", required=True, help="node codes, e.g. HQ,GD,BJ,SH")
    certs_init_parser.add_argument("--hosts", help="extra DNS names in every certificate (default localhost)")
    certs_init_parser.add_argument("--keys-dir", dest="keys_dir", type=Path, help="default <data dir>/keys")
    _node_options(certs_init_parser)
    certs_init_parser.set_defaults(func=certs_init)

    token = commands.add_parser("token", help="machine tokens").add_subparsers(dest="action", required=True)
    issue = token.add_parser(
        "issue", help="print a machine token for a script (people sign in: POST /auth/token)"
    )
    _staff_options(issue)
    issue.add_argument(
        "--ttl",
        type=int,
        help="seconds the token is valid (default CRM_AUTH_ACCESS_SECONDS, at most "
        "CRM_AUTH_MACHINE_MAX_SECONDS)",
    )
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
    except NodeRunning as running:  # a command that rewrites a store met the node serving it
        sys.exit(str(running))
    except (
        grpc.RpcError
    ) as failed:  # an upstream a command reads (audit mirror, replication divergence) failed
        sys.exit(f"the upstream's log service failed: {failed.code().name}: {failed.details()}")
    except Exception as error:  # a missing file, a directory it may not write, a wrong setting: one line
        line = explained(error)
        if line is None:
            raise
        sys.exit(f"crm {args.command}{' ' + args.action if getattr(args, 'action', None) else ''}: {line}")


if __name__ == "__main__":
    main()

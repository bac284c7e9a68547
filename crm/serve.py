"""`crm province serve` and `crm hq serve`: one node's REST API, its log over gRPC and its followers, in this
process until SIGINT or SIGTERM.

Its ports are bound first and its store opened next, so a port in use, a missing key or a data directory it may not
write ends the start in one line before anything runs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from crm import cluster_config
from crm.failures import explained
from shared.persistence.node_lock import hold_node
from shared.settings import Settings

if TYPE_CHECKING:
    import socket

    from crm.bootstrap import NodeApplication

log = logging.getLogger("crm")


def serve_node(
    settings: Settings, open_node: Callable[[Settings], NodeApplication], demo_data: bool, supervised: bool
) -> None:
    """Serve the node until SIGINT or SIGTERM; `open_node` opens its application (the composition root's)."""
    from shared.observability.logs import configure_logging

    if not supervised:
        _refuse_a_supervised_node(settings)
    configure_logging(settings.node_code, settings.log_format)
    with hold_node(settings, "starting it again"):
        _serve_held(settings, open_node, demo_data)


def _refuse_a_supervised_node(settings: Settings) -> None:
    """A node of a running `crm cluster up` is the supervisor's to stop and start: a second start by hand would
    race its restarts."""
    from crm.control import NoSupervisor, ask

    try:
        found = ask(settings.supervisor_socket_path(), {"action": "status"}, timeout=5)
    except NoSupervisor:
        return
    code = settings.node_code
    node = next((node for node in found.get("nodes", []) if node["node"] == code), None)
    if node is not None:
        order = "start" if node["state"] == "stopped" else "restart"
        raise SystemExit(
            f"{code} belongs to the cluster supervisor (pid {found.get('supervisor')}) running in "
            f"{settings.data_dir}: use `crm cluster {order} {code}`"
        )


def _serve_held(
    settings: Settings, open_node: Callable[[Settings], NodeApplication], demo_data: bool
) -> None:
    # ports first: one in use is one line, before a store is opened; gRPC's is only tried, its server binds it
    listener = _listen(
        settings.node_code, "REST", settings.http_host, settings.http_port, "--port, CRM_HTTP_PORT"
    )
    try:
        if settings.grpc_port:
            _listen(
                settings.node_code,
                "gRPC",
                settings.grpc_host,
                settings.grpc_port,
                "--grpc-port, CRM_GRPC_PORT",
            ).close()
        application = open_node(settings)
        try:
            _serve_application(settings, application, listener, demo_data)
        finally:
            application.close()
    finally:
        listener.close()


def _serve_application(
    settings: Settings, application: NodeApplication, listener: socket.socket, demo_data: bool
) -> None:
    import uvicorn

    from crm.bootstrap import node_runtime, served_api
    from replication.server import CannotListen
    from shared.api.http_server import server_config

    if settings.tier != "hq" and demo_data:
        from province import demo
        from province.application import ProvinceApplication

        if isinstance(application, ProvinceApplication):  # HQ's code opens HQ's application: no demo there
            demo.load(application)
    application.staff_access.desk()  # its signing key now: a damaged one ends the start, not the first sign-in
    try:
        runtime = node_runtime(application, follow=False).start()
    except CannotListen as taken:  # taken since it was tried
        raise SystemExit(
            f"{settings.node_code}: {taken}: stop the process listening there or choose another "
            "--grpc-port (CRM_GRPC_PORT)"
        ) from None
    try:
        api = served_api(application, runtime)  # follows once /replication/status can answer
        if not settings.upstreams:
            log.warning(
                "%s starts with no upstreams: it will not replicate (give --upstreams, or start it with the "
                "data directory whose %s names it)",
                settings.node_code,
                cluster_config.FILE_NAME,
            )
        base = f"http://{settings.http_host}:{settings.http_port}"
        log.info(
            "%s: %s  docs %s/docs  gRPC %s:%s  upstreams %s",
            settings.node_code,
            base,
            base,
            settings.grpc_host,
            runtime.grpc_port,
            settings.upstreams or "none",
        )
        proxies = [p.strip() for p in settings.trusted_proxies.split(",") if p.strip()]
        server = uvicorn.Server(
            server_config(
                api,
                settings.http_host,
                settings.http_port,
                log_level="warning",
                log_config=None,
                proxy_headers=bool(proxies),
                forwarded_allow_ips=proxies or None,
            )
        )
        server.run(sockets=[listener])  # uvicorn's lines go through the node's log format
        if not server.started:
            raise SystemExit(f"{settings.node_code}: the REST API did not start (see the lines above)")
    finally:
        runtime.stop()


def _listen(code: str, what: str, host: str, port: int, option: str) -> socket.socket:
    """A listening socket on the node's address, or the one line saying why there cannot be one."""
    import socket

    where = f"{code}: cannot listen for {what} on {host}:{port}"
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        return socket.create_server((host, port), family=family)
    except socket.gaierror:
        raise SystemExit(f"{where}: no such host here: choose another --host") from None
    except OverflowError:
        raise SystemExit(f"{where}: not a port: choose one of 1-65535 ({option})") from None
    except OSError as error:
        raise SystemExit(f"{where}: {explained(error)} ({option})") from None

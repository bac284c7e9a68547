"""Building a node from one `Settings`: its application on its store, the runtime beside it (its log served over
gRPC, one follower per upstream) and its REST API.

The command line (`crm … serve` and the offline commands), the tests and the benchmarks build nodes here and
nowhere else, so a node in a test or a benchmark is put together as a served one is."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI

from hq.application import HqApplication
from province.application import ProvinceApplication
from replication.follower import Follower
from replication.node import NodeRuntime
from shared.domain.values import HQ_CODE
from shared.settings import Settings

NodeApplication = ProvinceApplication | HqApplication


def is_hq(settings: Settings) -> bool:
    return settings.tier == "hq" or settings.node_code == HQ_CODE


def open_province(settings: Settings) -> ProvinceApplication:
    """A province's application on its store (made when new)."""
    return ProvinceApplication(settings)


def open_hq(settings: Settings) -> HqApplication:
    """HQ's application on its store; HQ's settings always say so (code HQ, tier hq)."""
    if settings.tier != "hq" or settings.node_code != HQ_CODE:
        settings = settings.model_copy(update={"tier": "hq", "node_code": HQ_CODE})
    return HqApplication(settings)


def open_application(settings: Settings) -> NodeApplication:
    """HQ's application or a province's, as the settings name the node."""
    return open_hq(settings) if is_hq(settings) else open_province(settings)


def node_runtime(application: NodeApplication, *, follow: bool = True) -> NodeRuntime:
    """The runtime beside the application, not started yet: its log service and its followers (at once on start
    when `follow`, else when asked)."""
    return NodeRuntime(application, follow=follow)


def rest_api(application: NodeApplication, runtime: NodeRuntime | None = None) -> FastAPI:
    """The node's REST API; its replication status and metrics come from `runtime` when one runs beside it."""
    if isinstance(application, HqApplication):
        from hq.api.app import create_app as hq_api

        api = hq_api(application)
    else:
        from province.api.app import create_app as province_api

        api = province_api(application)
    if runtime is not None:
        api.state.runtime = runtime
    return api


def served_api(application: NodeApplication, runtime: NodeRuntime) -> FastAPI:
    """The API as `crm … serve` runs it: the followers start once the API can answer /replication/status."""
    api = rest_api(application, runtime)
    api.router.on_startup.append(runtime.start_followers)
    return api


def api_alone(application: NodeApplication) -> FastAPI:
    """The API of a node whose log is served nowhere and which follows nobody; its replication routes answer from
    a runtime that never starts (the node's upstreams as configured)."""
    return rest_api(application, node_runtime(application, follow=False))


@dataclass
class Node:
    """A node running in this process: its application and the runtime beside it."""

    app: NodeApplication
    runtime: NodeRuntime

    @property
    def target(self) -> str:
        """Where its log is served (host:port)."""
        return f"{self.app.settings.grpc_host}:{self.runtime.grpc_port}"

    def follower(self, code: str) -> Follower:
        return self.runtime.followers[code]

    def stop(self) -> None:
        self.runtime.stop()
        self.app.close()


def run_node(application: NodeApplication, *, follow: bool = True) -> Node:
    """The runtime started beside an application already open: its log served, its upstreams followed."""
    return Node(application, node_runtime(application, follow=follow).start())


def start_node(settings: Settings, *, follow: bool = True) -> Node:
    """The node these settings describe, running: application, log service, followers (no REST server)."""
    application = open_application(settings)
    try:
        return run_node(application, follow=follow)
    except BaseException:
        application.close()
        raise

"""The cluster's config file, `<data dir>/cluster.json`: every node's code, tier, addresses, store and
upstreams, written by `crm cluster up` so that one node can be (re)started alone with just its code and the data
directory. Flags and `CRM_*` variables win over the file; the file wins over the defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from shared.settings import Settings

FILE_NAME = "cluster.json"


class ClusterNode(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    code: str
    tier: Literal["province", "hq"]
    http_host: str
    http_port: int
    grpc_host: str
    grpc_port: int
    store: Literal["sqlite", "postgres"]
    upstreams: dict[str, str]  # code → host:port of each log this node follows

    def settings(self) -> dict[str, object]:
        """The Settings fields this entry decides."""
        return {
            "tier": self.tier,
            "http_host": self.http_host,
            "http_port": self.http_port,
            "grpc_host": self.grpc_host,
            "grpc_port": self.grpc_port,
            "store": self.store,
            "upstreams": ",".join(f"{code}={target}" for code, target in self.upstreams.items()),
        }


class ClusterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nodes: list[ClusterNode]


def path_in(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def write(data_dir: Path, nodes: list[ClusterNode]) -> Path:
    path = path_in(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(ClusterConfig(nodes=nodes).model_dump_json(by_alias=True, indent=2) + "\n")
    return path


def node_in(data_dir: Path, code: str) -> ClusterNode | None:
    path = path_in(data_dir)
    if not path.is_file():
        return None
    try:
        config = ClusterConfig.model_validate_json(path.read_text())
    except ValidationError as wrong:
        place = ".".join(str(part) for part in wrong.errors()[0]["loc"]) or "the file"
        raise SystemExit(
            f"{path} is not a cluster file ({place}: {wrong.errors()[0]['msg']}): put it right, or "
            "write it again with `crm cluster up`"
        ) from None
    return next((node for node in config.nodes if node.code == code), None)


def complete(settings: Settings) -> Settings:
    """Settings with what the flags and environment left open taken from the cluster's file, if it names the
    node."""
    node = node_in(settings.data_dir, settings.node_code)
    if node is None:
        return settings
    missing = {k: v for k, v in node.settings().items() if k not in settings.model_fields_set}
    return settings.model_copy(update=missing) if missing else settings

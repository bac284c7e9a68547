"""docker-compose.yml runs HQ and three provinces, each on its own PostgreSQL, with the settings the nodes read."""

from __future__ import annotations

import yaml

from replication.follower import parse_upstreams
from shared.settings import Settings
from tests.support.processes import REPO

COMPOSE = REPO / "docker-compose.yml"


def load() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def test_every_setting_in_compose_is_one_the_nodes_read():
    known = {f"CRM_{name.upper()}" for name in Settings.model_fields}
    for name, service in load()["services"].items():
        if name.startswith("pg-"):
            continue
        env = service["environment"]
        assert set(env) <= known, f"{name}: unknown settings {set(env) - known}"
        Settings(**{key[4:].lower(): value for key, value in env.items()})  # every value parses


def test_hq_and_three_provinces_each_with_its_own_healthy_postgres():
    services = load()["services"]
    nodes = {n: s for n, s in services.items() if not n.startswith("pg-")}
    tiers = sorted(s["environment"]["CRM_TIER"] for s in nodes.values())
    assert tiers == ["hq", "province", "province", "province"]
    pg_hosts = [s["environment"]["CRM_PG_HOST"] for s in nodes.values()]
    assert len(set(pg_hosts)) == 4 and all(h in services for h in pg_hosts)
    for _name, node in nodes.items():
        assert node["environment"]["CRM_STORE"] == "postgres"
        assert "healthcheck" in node and "healthcheck" in services[node["environment"]["CRM_PG_HOST"]]
        assert node["depends_on"][node["environment"]["CRM_PG_HOST"]]["condition"] == "service_healthy"


def test_upstreams_point_at_the_services_grpc_ports():
    services = load()["services"]
    grpc = {n: s["environment"]["CRM_GRPC_PORT"] for n, s in services.items() if not n.startswith("pg-")}
    for name, node in services.items():
        if name.startswith("pg-"):
            continue
        for code, target in parse_upstreams(node["environment"]["CRM_UPSTREAMS"]).items():
            host, port = target.split(":")
            assert host in grpc and grpc[host] == port
            assert services[host]["environment"]["CRM_NODE_CODE"] == code


def test_the_image_installs_replication_with_its_generated_grpc_code():
    """The nodes run the installed packages, so `make proto`'s output must exist before `pip install .`."""
    steps = (COMPOSE.parent / "Dockerfile").read_text()
    assert "COPY proto proto" in steps
    assert steps.index("replication.build_proto") < steps.index("pip install --no-cache-dir .")


def test_no_secret_stands_in_the_compose_file():
    text = COMPOSE.read_text()
    services = load()["services"]
    for name, service in services.items():
        for key, _value in service.get("environment", {}).items():
            assert not (key.endswith("PASSWORD") or key.endswith("_KEY")), f"{name}: {key} in clear"
    assert load()["secrets"]["pg_password"]["file"] == "./secrets/pg_password"
    assert "secrets/" in (COMPOSE.parent / ".gitignore").read_text()
    assert "password: crm" not in text.lower()

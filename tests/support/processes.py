"""Nodes as separate OS processes (`crm hq serve`, `crm province serve`) on loopback ports, driven over REST."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx

from crm.ports import free_port
from shared.settings import Settings
from tests.support.auth import staff
from tests.support.nodes import node_env
from tests.support.stores import node_settings

REPO = Path(__file__).resolve().parents[2]  # where `python -m crm.cli` runs


class NodeProcess:
    """One node in its own process; `kill` is SIGKILL (no clean-up at all), `start` brings it back on the same
    store and ports."""

    def __init__(self, settings: Settings, http_port: int, grpc_port: int, upstreams: str, log: Path) -> None:
        self.settings = settings
        self.code = settings.node_code
        self.http_port = http_port
        self.grpc_port = grpc_port
        self.upstreams = upstreams
        self.log = log
        self.process: subprocess.Popen | None = None
        role = "auditor" if self.code == "HQ" else "provinceAdmin"  # HQ's desk is read here; provinces work
        self.http = httpx.Client(base_url=self.url, headers=staff(role, self.code, "desk.clerk"), timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start(self) -> NodeProcess:
        tier = "hq" if self.code == "HQ" else "province"
        env = node_env(
            self.settings,
            http_port=self.http_port,
            grpc_port=self.grpc_port,
            upstreams=self.upstreams,
            reconnect_initial_seconds=0.05,
            reconnect_cap_seconds=0.5,
            tier=tier,
        )
        command = [sys.executable, "-m", "crm.cli", tier, "serve"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"{self.code} exited with {self.process.returncode}; see {self.log}")
            try:
                if self.http.get("/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"{self.code} did not answer within {timeout}s; see {self.log}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, (self.code, path, response.text)
        return response.json()

    def send(self, method: str, path: str, body: Any, expect: int = 200) -> Any:
        response = self.http.request(method, path, json=body)
        assert response.status_code == expect, (self.code, method, path, response.status_code, response.text)
        return response.json()


@contextmanager
def process_cluster(
    store: str, tmp_path: Path, provinces: tuple[str, ...]
) -> Iterator[dict[str, NodeProcess]]:
    """HQ and the provinces, each its own process and store, HQ following every province and each following HQ."""
    codes = ("HQ", *provinces)
    ports = {code: (free_port(), free_port()) for code in codes}
    with ExitStack() as stack:
        nodes: dict[str, NodeProcess] = {}
        for code in codes:
            settings = stack.enter_context(
                node_settings(store, tmp_path, code, tier="hq" if code == "HQ" else "province")
            )
            upstreams = (
                ",".join(f"{p}=127.0.0.1:{ports[p][1]}" for p in provinces)
                if code == "HQ"
                else f"HQ=127.0.0.1:{ports['HQ'][1]}"
            )
            nodes[code] = NodeProcess(settings, *ports[code], upstreams, tmp_path / f"{code.lower()}.log")
        try:
            for node in nodes.values():
                node.start()
            yield nodes
        finally:
            for node in nodes.values():
                node.stop()
                node.http.close()

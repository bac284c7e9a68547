"""HQ catch-up on a province backlog, against the one-save-per-transaction baseline on the same store.

For each store: (1) baseline — saving single-event aggregates one transaction each; (2) catch-up — a
province holds 10,000 public events, a fresh HQ follows it over real gRPC on loopback and applies them in
batches (many notifications per transaction under one tracking record); (3) steady lag — the province
records at a steady rate while HQ follows; lag is sampled from the follower's status.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from eventsourcing.domain import Aggregate

from bench.nodes import BY, store_settings
from crm.bootstrap import open_hq, open_province, run_node
from crm.ports import free_port
from crm.throwaway import register_many
from province.application import ProvinceApplication
from replication.follower import Follower
from replication.node import NodeRuntime


class Probe(Aggregate):
    """A one-event aggregate for the baseline."""


def baseline(app: ProvinceApplication, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        app.save(Probe())
    return count / (time.perf_counter() - started)


def catch_up(store: str, tmp: Path, events: int, batch: int) -> dict[str, float]:
    with (
        store_settings(store, tmp, "GD", grpc_port=free_port()) as gd_settings,
        store_settings(store, tmp, "HQ", grpc_port=free_port(), replication_batch=batch) as hq_settings,
    ):
        gd = open_province(gd_settings)
        gd_runtime = run_node(gd, follow=False).runtime
        register_many(gd, events // 2, chunk=500, by=BY)
        assert gd_runtime.service is not None  # started by run_node
        head = gd_runtime.service.chain.extend()
        base = baseline(gd, 500)
        hq = open_hq(hq_settings)
        hq_runtime = run_node(hq, follow=False).runtime
        started = time.perf_counter()
        follower = hq_runtime.add_upstream("GD", f"127.0.0.1:{gd_runtime.grpc_port}")
        while follower.status.position < head:
            time.sleep(0.002)
        rate = events / (time.perf_counter() - started)
        lag = steady_lag(gd, follower, gd_runtime)
        hq_runtime.stop()
        gd_runtime.stop()
        hq.close()
        gd.close()
    return {"baseline": base, "catch_up": rate, "ratio": rate / base, **lag}


def steady_lag(
    gd: ProvinceApplication,
    follower: Follower,
    runtime: NodeRuntime,
    seconds: float = 5.0,
    per_second: int = 100,
) -> dict[str, float]:
    """The province records `per_second` customers (2 public events each) in 10 transactions a second;
    lag is the time from a transaction's commit to HQ having applied it, and the events HQ is behind."""
    service = runtime.service
    assert service is not None  # the runtime is started
    written: list[tuple[int, float]] = []
    latencies: list[float] = []
    behind: list[int] = []
    stop = threading.Event()

    def write() -> None:
        n = 100_000
        while not stop.is_set():
            tick = time.perf_counter()
            register_many(gd, per_second // 10, chunk=per_second // 10, start=n, by=BY)
            written.append((gd.recorder.max_notification_id(), time.perf_counter()))
            n += per_second // 10
            time.sleep(max(0.0, 0.1 - (time.perf_counter() - tick)))

    writer = threading.Thread(target=write)
    writer.start()
    end = time.perf_counter() + seconds
    seen = 0
    while time.perf_counter() < end or seen < len(written) or writer.is_alive():
        if time.perf_counter() >= end:
            stop.set()
        position = follower.status.position
        now = time.perf_counter()
        while seen < len(written) and written[seen][0] <= position:
            latencies.append(now - written[seen][1])
            seen += 1
        behind.append(max(0, service.chain.extend() - position) if len(behind) % 50 == 0 else behind[-1])
        time.sleep(0.001)
    writer.join()
    latencies.sort()
    return {
        "lag_events_mean": statistics.mean(behind),
        "lag_events_max": max(behind),
        "latency_ms_mean": 1000 * statistics.mean(latencies),
        "latency_ms_p95": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "latency_ms_max": 1000 * latencies[-1],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--stores", default="sqlite,postgres")
    args = parser.parse_args(argv)
    print(f"HQ catch-up on a {args.events:,}-event province backlog (batches of {args.batch})")
    for store in args.stores.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            r = catch_up(store, Path(tmp), args.events, args.batch)
        print(
            f"  {store:9s} baseline {r['baseline']:8,.0f} saves/s | catch-up {r['catch_up']:8,.0f} events/s "
            f"= {r['ratio']:5.1f}x baseline | steady load: commit-to-HQ {r['latency_ms_mean']:.0f} ms mean, "
            f"{r['latency_ms_p95']:.0f} ms p95, {r['latency_ms_max']:.0f} ms max; "
            f"behind by {r['lag_events_mean']:.1f} events mean, {r['lag_events_max']} max",
            flush=True,
        )


if __name__ == "__main__":
    main()

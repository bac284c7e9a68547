"""Auditors' work at scale (issue 10): whole-node replay speed and export memory, on each store.

For each store a province holds `--events` events (customers and their accounts, many per transaction).
Baseline, in the same run: reading the whole log raw (no decoding, no projection), events per second.
Replay: every read model rebuilt into scratch tables and compared with the live ones (`crm audit replay`).
Export: the whole log as JSON Lines to a file in a child process; its peak resident memory (VmHWM) and what
the process held before the export began. Also the replay of a demo province (`make run`'s data).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TypedDict

from bench.nodes import BY, store_settings
from crm.bootstrap import open_province
from crm.throwaway import register_many
from province import demo
from province.application import ProvinceApplication
from shared.audit.export import exported
from shared.audit.replay import replay_and_compare
from shared.settings import Settings


def raw_read_rate(app: ProvinceApplication) -> float:
    started, count = time.perf_counter(), 0
    for _ in app._all_notifications():
        count += 1
    return count / (time.perf_counter() - started)


def replay_rate(app: ProvinceApplication) -> tuple[float, bool]:
    """Events replayed per second by `crm audit replay` (rebuild into scratch tables, compare, drop)."""
    scratch = open_province(app.settings)
    try:
        started = time.perf_counter()
        result = replay_and_compare(app, scratch)
        elapsed = time.perf_counter() - started
    finally:
        scratch.close()
    return app.head_position() / elapsed, result["identical"]


def export_in_child(settings: Settings, target: Path) -> dict[str, float]:
    """A fresh process, so its peak memory is the export's and not the data generation's."""
    completed = subprocess.run(
        [sys.executable, "-m", "bench.audit", "--export-child", settings.model_dump_json(), str(target)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(completed.stdout)


def peak_memory_mb() -> float:
    """This process image's peak resident memory (VmHWM; ru_maxrss would carry the parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def export_child(settings_json: str, target: str) -> None:
    app = open_province(Settings.model_validate_json(settings_json))
    before = peak_memory_mb()
    started, lines = time.perf_counter(), 0
    with open(target, "w", encoding="utf-8") as out:
        for line in exported(app):
            out.write(line)
            lines += 1
    elapsed = time.perf_counter() - started
    peak = peak_memory_mb()
    app.close()
    print(
        json.dumps(
            {
                "events": lines - 1,
                "seconds": elapsed,
                "rss_before_mb": before,
                "peak_rss_mb": peak,
                "bytes": os.path.getsize(target),
            }
        )
    )


class Replayed(TypedDict):
    events: int
    raw_read_per_s: float
    replay_per_s: float
    identical: bool


class Measured(Replayed):
    store: str
    replay_ratio: float
    export: dict[str, float]


def measure(store: str, tmp: Path, events: int) -> Measured:
    with store_settings(store, tmp / store, "GD") as settings:
        app = open_province(settings)
        register_many(app, events // 2, chunk=500, by=BY)
        baseline = raw_read_rate(app)
        rate, identical = replay_rate(app)
        app.close()
        exported_figures = export_in_child(settings, tmp / f"{store}.jsonl")
    return {
        "store": store,
        "events": events,
        "raw_read_per_s": baseline,
        "replay_per_s": rate,
        "replay_ratio": rate / baseline,
        "identical": identical,
        "export": exported_figures,
    }


def demo_replay(tmp: Path) -> Replayed:
    with store_settings("sqlite", tmp / "demo", "GD") as settings:
        app = open_province(settings)
        demo.load(app)
        baseline = raw_read_rate(app)
        rate, identical = replay_rate(app)
        events = app.head_position()
        app.close()
    return {"events": events, "raw_read_per_s": baseline, "replay_per_s": rate, "identical": identical}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--stores", default="sqlite,postgres")
    parser.add_argument("--export-child", nargs=2, metavar=("SETTINGS", "TARGET"))
    args = parser.parse_args(argv)
    if args.export_child:
        export_child(*args.export_child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        figures = demo_replay(Path(tmp))
        print(
            f"audit: demo province, {figures['events']} events: replay {figures['replay_per_s']:,.0f} ev/s "
            f"({figures['replay_per_s'] / figures['raw_read_per_s']:.2f}× a raw read of "
            f"{figures['raw_read_per_s']:,.0f} ev/s), identical={figures['identical']}"
        )
        for store in args.stores.split(","):
            m = measure(store, Path(tmp), args.events)
            e = m["export"]
            print(
                f"audit [{store}] {m['events']:,} events: replay {m['replay_per_s']:,.0f} ev/s "
                f"({m['replay_ratio']:.2f}× a raw read of {m['raw_read_per_s']:,.0f} ev/s), "
                f"identical={m['identical']}; export {e['events']:,} events in {e['seconds']:.1f} s, "
                f"peak RSS {e['peak_rss_mb']:.0f} MB (process before export {e['rss_before_mb']:.0f} MB), "
                f"{e['bytes'] / 1e6:.0f} MB written"
            )


if __name__ == "__main__":
    main(sys.argv[1:])

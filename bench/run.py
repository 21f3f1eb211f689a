"""Every benchmark in one run, and one table of figures against the targets.

Runs, one after the other on this machine (each starts its own servers in a temp dir):
- bench/pipeline.py: end-to-end throughput and raw JetStream in the same run, and their ratio (the median of three
  such pairs; every pair shown);
- bench/edges.py: `complaints up --demo` offered 200/s through the REST feedback API and the VK and Telegram
  webhooks over HTTP, send -> ticket committed p50/p99;
- bench/email.py: mails/s through dovecot and the whole gateway, single-mail latency, and the CPU per mail of
  the intake and the normaliser alone (--stages);
- bench/storm.py: a storm of 100,000 submissions on SQLite (drain time, peak RSS per process, lost and
  duplicate counts), and the same storm on PostgreSQL with two replicas of every worker.

    uv run python bench/run.py            # the full run (about 15 minutes on 2 CPUs)
    uv run python bench/run.py --quick    # smaller sizes, to check the benchmarks themselves (about 3 minutes)
"""

from __future__ import annotations

# isort: off
import benchpath  # noqa: F401 - first: fixes sys.path before the stdlib `email` is imported
# isort: on

import argparse
import asyncio
import importlib.util
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import edges
import pipeline
import storm
from measure import pct

HERE = Path(__file__).resolve().parent


def email_bench() -> ModuleType:
    """bench/email.py by its path: imported as `email` it would be the standard library's package."""
    spec = importlib.util.spec_from_file_location("bench_email", HERE / "email.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Row:
    figure: str
    measured: str
    target: str
    met: bool | None  # None: no target

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "NO", None: "—"}[self.met]


@dataclass
class Sizes:
    pipeline: int
    pipeline_pairs: int
    edges_seconds: float
    email: int
    email_stages: int
    storm: int
    storm_pg: int


FULL = Sizes(pipeline=20_000, pipeline_pairs=3, edges_seconds=20, email=5_000, email_stages=3_000, storm=100_000,
             storm_pg=100_000)
QUICK = Sizes(pipeline=2_000, pipeline_pairs=1, edges_seconds=5, email=300, email_stages=300, storm=3_000,
              storm_pg=2_000)


def pipeline_rows(n: int, pairs: int, tmp: Path) -> list[Row]:
    measured = pipeline.run_pairs(n, 1024, tmp, pairs)
    pipe, raw = pipeline.median_pair(measured)
    ratio = pipeline.ratio_of((pipe, raw))
    stored = pipeline.stored_per_complaint(pipe)
    each = ", ".join(f"{pipeline.ratio_of(pair):.2f}" for pair in measured)
    median = f"median of {pairs} paired runs ({each}): " if pairs > 1 else ""
    return [Row(f"pipeline throughput ({n} submissions), ratio to raw JetStream in the same run",
                f"{median}{pipe['rate']:.0f}/s vs raw {raw['rate']:.0f}/s (before {raw['before']:.0f}, after "
                f"{raw['after']:.0f}): ratio {ratio:.2f} ({stored:.1f} stored messages "
                f"per complaint: {ratio * stored:.2f} per stored message)", "ratio ≥ 0.30", ratio >= 0.30)]


def edge_rows(seconds: float) -> list[Row]:
    [row] = asyncio.run(edges.run([200.0], seconds))
    ok = row["ticket_p99"] >= 0 and row["ticket_p99"] <= 250 and row["refused"] == 0 and row["lost"] == 0
    return [Row("submission -> ticket at 200/s offered through the real edges (REST, VK and Telegram webhooks)",
                f"accepted {row['accepted']:.0f}/s, p50 {row['ticket_p50']:.0f} ms, p99 {row['ticket_p99']:.0f} ms "
                f"(HTTP p99 {row['http_p99']:.0f} ms, {row['refused']:.0f} refused, {row['lost']:.0f} lost; "
                f"{row['stolen'] * 100:.0f}% of the CPU stolen by the VM host)",
                "p99 ≤ 250 ms", ok)]


def email_rows(n: int, stages_n: int, tmp: Path) -> list[Row]:
    bench = email_bench()
    whole = asyncio.run(bench.run(n, 30, tmp / "email"))
    single = whole["single"]
    rows = [Row(f"email: mails/s through dovecot and the gateway ({n} mixed mails), single-mail latency",
                f"{whole['n'] / whole['bulk_s']:.0f} mails/s; single mail p50 {pct(single, 50):.0f} ms, "
                f"p99 {pct(single, 99):.0f} ms", "—", None)]
    intake = asyncio.run(bench.intake_stage(stages_n, tmp / "stages", None))
    normal = bench.normalize_stage(intake["bodies"], tmp / "stages", None)
    intake_ms = intake["cpu"] / stages_n * 1000
    normal_ms = normal["cpu"] / stages_n * 1000
    rows.append(Row("email CPU per mail: intake, normaliser",
                    f"intake {intake_ms:.2f} ms, normaliser {normal_ms:.2f} ms",
                    "each ≤ 0.75 ms (half of 1.5 ms)", intake_ms <= 0.75 and normal_ms <= 0.75))
    return rows


def worker_rss(result: dict[str, float]) -> tuple[float, str]:
    workers = {k[4:]: v for k, v in result.items() if k.startswith("rss_") and k != "rss_nats-server"}
    name = max(workers, key=lambda k: workers[k])
    return workers[name], name


def storm_rows(n: int, n_pg: int, tmp: Path) -> list[Row]:
    sqlite = asyncio.run(storm.run_storm(n, tmp / "storm"))
    top, top_name = worker_rss(sqlite)
    clean = sqlite["lost"] == 0 and sqlite["duplicate_tickets"] == 0 and sqlite["duplicate_replies"] == 0
    rows = [Row(f"storm of {n} on SQLite: drain time, peak RSS per worker, lost and duplicates",
                f"drained in {sqlite['drain_s']:.0f} s ({sqlite['rate']:.0f}/s); largest worker {top_name} "
                f"{top:.0f} MB; lost {sqlite['lost']:.0f}, duplicate tickets {sqlite['duplicate_tickets']:.0f}, "
                f"duplicate replies {sqlite['duplicate_replies']:.0f}; CPU stolen by the VM host "
                f"{sqlite['stolen']:.0%}",
                "≤ 120 s; each worker ≤ 300 MB; 0 lost, 0 duplicates",
                clean and sqlite["drain_s"] <= 120 and top <= 300)]
    from tests.support.postgres import start_postgres

    pg = start_postgres()
    try:
        result = asyncio.run(storm.run_storm(n_pg, tmp / "storm-pg", pg.create_database("storm"), replicas=2))
    finally:
        pg.stop()
    top, top_name = worker_rss(result)
    clean = result["lost"] == 0 and result["duplicate_tickets"] == 0 and result["duplicate_replies"] == 0
    rows.append(Row(f"the same storm ({n_pg}) on PostgreSQL, two replicas of each worker",
                    f"{result['rate']:.0f}/s (drained in {result['drain_s']:.0f} s); lost {result['lost']:.0f}, "
                    f"duplicate tickets {result['duplicate_tickets']:.0f}, duplicate replies "
                    f"{result['duplicate_replies']:.0f}; largest worker {top_name} {top:.0f} MB",
                    "no duplicate, throughput reported", clean))
    return rows


def print_table(rows: list[Row]) -> None:
    print("| figure | measured | target | met |")
    print("|---|---|---|---|")
    for row in rows:
        print(f"| {row.figure} | {row.measured} | {row.target} | {row.verdict} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the benchmarks, not the targets")
    parser.add_argument("--only", default="pipeline,edges,email,storm",
                        help="comma-separated subset of pipeline,edges,email,storm")
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    only = set(args.only.split(","))
    rows: list[Row] = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-run-") as tmp_name:
        tmp = Path(tmp_name)
        steps: list[tuple[str, Any]] = [
            ("pipeline", lambda: pipeline_rows(sizes.pipeline, sizes.pipeline_pairs, tmp)),
            ("edges", lambda: edge_rows(sizes.edges_seconds)),
            ("email", lambda: email_rows(sizes.email, sizes.email_stages, tmp)),
            ("storm", lambda: storm_rows(sizes.storm, sizes.storm_pg, tmp)),
        ]
        for name, step in steps:
            if name in only:
                print(f"--- {name}", flush=True)
                rows.extend(step())
    print(f"\nbench/run.py{' --quick' if args.quick else ''}: {os.cpu_count()} CPUs, "
          f"{(time.monotonic() - started) / 60:.1f} min\n")
    print_table(rows)


if __name__ == "__main__":
    main()

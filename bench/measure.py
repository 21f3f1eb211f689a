"""Measuring helpers shared by the benchmarks: process CPU and peak RSS, percentiles, worker processes."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import nats

from workers.app.orphans import die_with_parent


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_cpu() -> tuple[int, int, int]:
    """(busy, total, stolen) CPU time of the whole machine so far, all cores: the first line of /proc/stat."""
    user, nice, system, idle, iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    busy = user + nice + system + irq + softirq + steal
    return busy, busy + idle + iowait, steal


def machine_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, all cores."""
    busy, total, _ = _machine_cpu()
    return busy, total


class StolenTime:
    """The share of the machine's CPU time the hypervisor gave to other guests since this was made (`steal` in
    /proc/stat): on a shared VM, what says that a run was slowed from outside, not by the gateway."""

    def __init__(self) -> None:
        _, self._total, self._steal = _machine_cpu()

    def share(self) -> float:
        _, total, steal = _machine_cpu()
        return (steal - self._steal) / max(1, total - self._total)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


async def wait_for_consumers(url: str, durables: dict[str, str], within: float = 120.0) -> None:
    """Until every worker's durable consumer has a pull request waiting: the workers are up and pulling."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    deadline = time.monotonic() + within
    try:
        for durable, stream in durables.items():
            while True:
                try:
                    if (await js.consumer_info(stream, durable)).num_waiting:
                        break
                except nats.js.errors.NotFoundError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError(f"consumer {durable} not pulling after {within}s")
                await asyncio.sleep(0.1)
    finally:
        await nc.close()


def start_workers(groups: list[tuple[str, ...]], env: dict[str, str]) -> list[subprocess.Popen[bytes]]:
    return [subprocess.Popen([sys.executable, "-m", "workers.cli", "worker", *group], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_parent)
            for group in groups]




def cpu_by_command(prefixes: tuple[str, ...]) -> float:
    """CPU seconds so far of every live process whose command name starts with one of `prefixes`
    (e.g. dovecot's master, imap and auth processes)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip().startswith(prefixes):
                total += cpu_seconds(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total

"""A supervisor of real gateway processes (`complaints worker …`, `complaints web`): start, SIGKILL, restart.

Each process writes its output to its own log file under `log_dir` (appended across restarts), so a failure
can be read afterwards. Children die with the test (PR_SET_PDEATHSIG)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from workers.app.orphans import die_with_parent


@dataclass
class Proc:
    name: str
    args: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> None:
        assert not self.alive, f"{self.name} is already running"
        with open(self.log, "ab") as out:
            out.write(f"\n===== start #{self.starts + 1} at {time.strftime('%H:%M:%S')} =====\n".encode())
            out.flush()
            self.popen = subprocess.Popen([sys.executable, "-m", "workers.cli", *self.args], env=self.env,
                                          stdout=out, stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no drain, no clean shutdown; what a crash or the OOM killer does."""
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait()

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive:
            return
        assert self.popen is not None
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


@dataclass
class Supervisor:
    """The gateway's processes by name (e.g. "route#1"); the test kills and restarts them."""

    env: dict[str, str]
    log_dir: Path
    procs: dict[str, Proc] = field(default_factory=dict)
    kills: list[str] = field(default_factory=list)

    def add(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        proc = Proc(name, list(args), dict(env or self.env), self.log_dir / f"{name.replace('#', '-')}.log")
        self.procs[name] = proc
        proc.start()
        return proc

    def worker(self, name: str, *workers: str) -> Proc:
        return self.add(name, "worker", *workers)

    def kill(self, name: str) -> None:
        self.procs[name].kill()
        self.kills.append(name)

    def restart(self, name: str) -> None:
        self.procs[name].start()

    def kill_random(self, rng: random.Random, among: list[str] | None = None) -> str:
        name = rng.choice(among or sorted(self.procs))
        self.kill(name)
        return name

    def dead(self) -> list[str]:
        """Processes not running now (call it when every killed one has been restarted)."""
        return [name for name, proc in self.procs.items() if not proc.alive]

    def stop_all(self) -> None:
        for proc in self.procs.values():
            if proc.alive and proc.popen is not None:
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for proc in self.procs.values():
            if proc.popen is None:
                continue
            try:
                proc.popen.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait()

    def tail(self, name: str, lines: int = 40) -> str:
        log = self.procs[name].log
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


def gateway_env(**values: str) -> dict[str, str]:
    """The environment of a gateway process: this one's, minus any COMPLAINTS_* setting of the caller's shell."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("COMPLAINTS_") and k not in ("NATS_URL", "DATABASE_URL")}
    env.update(values)
    return env

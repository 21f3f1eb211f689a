"""`complaints up`: embedded NATS + web + every worker as child processes; Ctrl-C stops them all cleanly."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from workers.app.nats_embedded import EmbeddedNats
from workers.app.orphans import die_with_parent
from workers.app.settings import Settings
from workers.app.worker_set import process_groups
from workers.channels.registry import intake_groups

log = logging.getLogger("complaints.up")
RESTART_BACKOFF = (1.0, 2.0, 5.0, 10.0)


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    started_at: float = 0.0

    def start(self, env: dict[str, str]) -> None:
        # Own session: a terminal's Ctrl-C reaches only the supervisor, which then stops the
        # children in order (workers and web first, NATS last).
        self.process = subprocess.Popen(self.argv, env=env, preexec_fn=die_with_parent, start_new_session=True)
        self.started_at = time.monotonic()


@dataclass
class Supervisor:
    settings: Settings
    children: list[Child] = field(default_factory=list)
    nats: EmbeddedNats | None = None
    _stopping: bool = False

    def _env(self, nats_url: str) -> dict[str, str]:
        env = dict(os.environ)
        env["NATS_URL"] = nats_url
        env["COMPLAINTS_DATA_DIR"] = str(self.settings.data_dir.resolve())
        return env

    def run(self) -> int:
        nats_url = self.settings.nats_url
        if not nats_url:
            self.nats = EmbeddedNats(self.settings.data_dir)
            nats_url = self.nats.start()
            log.info("embedded nats-server on %s (JetStream, sync_interval always)", nats_url)
        env = self._env(nats_url)
        cli = [sys.executable, "-m", "workers.cli"]
        groups = process_groups(self.settings) + intake_groups(self.settings)
        self.children = [Child("+".join(group), [*cli, "worker", *group]) for group in groups]
        self.children.append(Child("web", [*cli, "web"]))
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._request_stop)
        try:
            for child in self.children:
                child.start(env)
            while not self._stopping:
                self._restart_dead(env)
                time.sleep(0.5)
        finally:
            self._stop_children()
            if self.nats is not None:
                self.nats.stop()
        return 0

    def _request_stop(self, _signum: int, _frame: object) -> None:
        self._stopping = True

    def _restart_dead(self, env: dict[str, str]) -> None:
        for child in self.children:
            assert child.process is not None
            code = child.process.poll()
            if code is None or self._stopping:
                continue
            if time.monotonic() - child.started_at > 60:
                child.restarts = 0  # it ran a good while: a fresh failure, not a crash loop
            delay = RESTART_BACKOFF[min(child.restarts, len(RESTART_BACKOFF) - 1)]
            log.error("%s exited with %s; restarting in %.0fs", child.name, code, delay)
            time.sleep(delay)
            child.restarts += 1
            child.start(env)

    def _stop_children(self, timeout: float = 15.0) -> None:
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in time; killing it", child.name)
                child.process.kill()
                child.process.wait()

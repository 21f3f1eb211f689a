"""A worker told to stop while it is still starting (waiting for a NATS server that is gone) exits.

`complaints up` SIGTERMs its children when it stops, and the kernel does when it dies (PR_SET_PDEATHSIG);
a worker still connecting to the embedded NATS that was stopped with it must not stay behind, connecting
for ever, as an orphan.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.postgres import free_port
from workers.app.orphans import die_with_parent


def _worker(tmp_path: Path, *names: str) -> subprocess.Popen[str]:
    # Nothing listens on this loopback port: the worker keeps trying to connect (it reconnects for ever).
    env = dict(os.environ, NATS_URL=f"nats://127.0.0.1:{free_port()}", COMPLAINTS_DATA_DIR=str(tmp_path),
               COMPLAINTS_LOG_LEVEL="INFO")
    return subprocess.Popen([sys.executable, "-m", "workers.cli", "worker", *names], env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=die_with_parent)


class Stderr:
    """The process's stderr, read line by line on a thread while it runs."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(process.stderr or ()), daemon=True)
        self._reader.start()

    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, needle: str, process: subprocess.Popen[str], within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while needle not in self.text():
            assert process.poll() is None, self.text()
            assert time.monotonic() < deadline, f"no «{needle}» within {within}s: {self.text()}"
            time.sleep(0.05)

    def all(self) -> str:
        self._reader.join(10)
        return self.text()


@pytest.mark.parametrize(("names", "sig"), [
    (("normalize",), signal.SIGTERM),  # what `complaints up` and PR_SET_PDEATHSIG send
    (("route", "relay", "deliver"), signal.SIGINT),  # Ctrl-C in a terminal
], ids=["normalize-SIGTERM", "route-SIGINT"])
def test_a_signal_while_connecting_ends_the_worker(tmp_path: Path, names: tuple[str, ...],
                                                   sig: signal.Signals) -> None:
    process = _worker(tmp_path, *names)
    try:
        stderr_lines = Stderr(process)
        stderr_lines.wait_for("connecting to NATS at 127.0.0.1:", process)  # migrated, now in the connect
        time.sleep(0.5)  # well inside the connect: the first attempts refused, the reconnects running
        assert process.poll() is None, "still starting, not failed"
        process.send_signal(sig)
        code = process.wait(30)
        stderr = stderr_lines.all()
        assert code != 0, "it did not start: not a clean run"
        assert "Traceback" not in stderr, stderr
        assert "остановлен до того, как запустился" in stderr, stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

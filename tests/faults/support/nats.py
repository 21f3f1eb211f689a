"""nats-server processes for the fault suite: one node with a kept JetStream store, or a 3-node cluster whose
configuration is taken from compose.yaml (the `nats1..3` services' command lines), moved onto loopback ports.

Unlike the embedded default (workers.app.nats_embedded, port -1), a node here keeps its ports across a
SIGKILL and restart, so the gateway's processes reconnect to the same URL."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.postgres import free_port
from workers.app.nats_embedded import nats_server_binary
from workers.app.orphans import die_with_parent


@dataclass
class NatsNode:
    name: str
    base: Path
    port: int = field(default_factory=free_port)
    http_port: int = field(default_factory=free_port)
    cluster_port: int | None = None
    cluster_name: str | None = None
    routes: list[str] = field(default_factory=list)
    store_dir: Path | None = None
    max_payload: str = "8MB"
    sync_always: bool = True  # as the embedded default; compose's cluster nodes leave nats' default
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def store(self) -> Path:
        return self.store_dir or self.base / "jetstream"

    def config(self) -> str:
        lines = [
            f'server_name: "{self.name}"',
            "host: 127.0.0.1",
            f"port: {self.port}",
            f"http_port: {self.http_port}",
            f"max_payload: {self.max_payload}",
            "jetstream {",
            f'  store_dir: "{self.store}"',
            *(["  sync_interval: always"] if self.sync_always else []),
            "}",
        ]
        if self.cluster_port is not None:
            lines += [
                "cluster {",
                f'  name: "{self.cluster_name}"',
                f"  listen: 127.0.0.1:{self.cluster_port}",
                "  routes: [",
                *(f"    {route}" for route in self.routes),
                "  ]",
                "}",
            ]
        return "\n".join(lines) + "\n"

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, f"{self.name} is running"
        self.base.mkdir(parents=True, exist_ok=True)
        self.store.mkdir(parents=True, exist_ok=True)
        conf = self.base / "nats-server.conf"
        conf.write_text(self.config())
        with open(self.base / "nats-server.log", "ab") as log:
            self.process = subprocess.Popen([nats_server_binary(), "-c", str(conf)], stdout=log,
                                            stderr=subprocess.STDOUT, preexec_fn=die_with_parent)
        self.starts += 1

    def healthy(self) -> bool:
        """compose.yaml's health check: /healthz answers 200 once the node serves and JetStream is current."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/healthz", timeout=2) as response:
                return int(response.status) == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def wait_healthy(self, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while not self.healthy():
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"nats-server {self.name} exited; see {self.base / 'nats-server.log'}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"nats-server {self.name} not healthy after {within}s")
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL; the store directory stays for the restart."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _flags(command: list[str]) -> dict[str, str]:
    flags: dict[str, str] = {}
    for item in command:
        key, _, value = item.lstrip("-").partition("=")
        flags[key] = value
    return flags


@dataclass
class NatsCluster:
    nodes: list[NatsNode]

    @property
    def url(self) -> str:
        """As the gateway's NATS_URL lists a cluster: every node, comma-separated."""
        return ",".join(node.url for node in self.nodes)

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_healthy()

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def cluster_from_compose(services: dict[str, Any], names: list[str], base: Path) -> NatsCluster:
    """The NATS services of compose.yaml as loopback processes: each command line's flags become a config file,
    the service host names in the routes become 127.0.0.1 with each node's own cluster port."""
    flags = {name: _flags([str(a) for a in services[name]["command"]]) for name in names}
    cluster_ports = {name: free_port() for name in names}
    nodes = []
    for name in names:
        f = flags[name]
        assert "jetstream" in f, f"{name}: JetStream is not enabled in compose.yaml"
        assert f.get("cluster_name"), f"{name}: no cluster_name in compose.yaml"
        routes = []
        for route in f["routes"].split(","):
            host_port = route.removeprefix("nats://")
            host, _, port = host_port.partition(":")
            assert host in cluster_ports, f"{name}: route {route} names no NATS service of compose.yaml"
            assert port == f["cluster"].rsplit(":", 1)[1], f"{name}: route {route} is not the cluster port"
            routes.append(f"nats://127.0.0.1:{cluster_ports[host]}")
        assert len(routes) == len(names), f"{name}: routes {routes} do not list every node"
        nodes.append(NatsNode(
            name=f["server_name"], base=base / name, cluster_port=cluster_ports[name], cluster_name=f["cluster_name"],
            routes=routes, max_payload=f.get("max_payload", "8MB"), sync_always=False,
        ))
    return NatsCluster(nodes)

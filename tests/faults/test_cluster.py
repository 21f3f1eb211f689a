"""The scaled-out shape of compose.yaml without Docker: its 3-node NATS JetStream cluster (R3 streams) as three
nats-server processes, PostgreSQL, `complaints migrate`, the web process and two replicas of every worker,
all with the environment compose.yaml gives them. One NATS node (the leader of INTAKE) is SIGKILLed mid-storm
and stays down until the storm is over: zero lost, zero duplicate tickets, zero duplicate replies.

The configuration is read from compose.yaml (services, commands, environment, the nats command lines), so this
checks that compose.yaml's configuration is one that works. A storm of 3,000 here (R3 on two cores is slower).

    uv run --frozen pytest -p no:cacheprovider -m faults tests/faults/test_cluster.py -s
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any

import nats
import pytest
import yaml  # type: ignore[import-untyped]

from tests.faults.support.gateway import running_gateway
from tests.faults.support.nats import NatsCluster, NatsNode, cluster_from_compose
from tests.faults.support.storm import StormDriver, StormReport, assert_every_acknowledged_submission_settled, drain
from tests.support.postgres import PostgresServer
from tests.support.waiting import eventually
from workers.app.worker_set import WORKER_NAMES

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1500)]

COMPOSE = Path(__file__).resolve().parents[2] / "compose.yaml"
SUBMISSIONS = int(os.environ.get("FAULTS_CLUSTER_SUBMISSIONS", "3000"))
MIN_REPLICAS = 2


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def nats_services(services: dict[str, Any]) -> list[str]:
    return sorted(name for name, service in services.items() if str(service.get("image", "")).startswith("nats:"))


def worker_services(services: dict[str, Any]) -> dict[str, tuple[str, int]]:
    """Service -> (worker, replicas) for the queue workers compose.yaml starts by default (no profile)."""
    found: dict[str, tuple[str, int]] = {}
    for name, service in services.items():
        command = [str(c) for c in service.get("command") or []]
        if command[:1] == ["worker"] and not service.get("profiles"):
            assert len(command) == 2, f"{name}: one worker per service, got {command}"
            found[name] = (command[1], int(service.get("deploy", {}).get("replicas", 1)))
    return found


def gateway_environment(services: dict[str, Any], nats_names: list[str], cluster: NatsCluster, database_url: str,
                        data_dir: Path) -> dict[str, str]:
    """compose.yaml's gateway environment, its addresses moved onto this machine's processes."""
    env = {str(k): str(v) for k, v in services["web"]["environment"].items()}
    for name in ("normalize", "migrate"):
        assert services[name]["environment"] == services["web"]["environment"], f"{name}: another environment"
    urls = env["NATS_URL"].split(",")
    assert sorted(u.removeprefix("nats://").split(":")[0] for u in urls) == nats_names, env["NATS_URL"]
    assert all(u.endswith(":4222") for u in urls), env["NATS_URL"]
    assert env["DATABASE_URL"].startswith("postgresql+asyncpg://") and "@postgres:5432/" in env["DATABASE_URL"]
    env.update(NATS_URL=cluster.url, DATABASE_URL=database_url, COMPLAINTS_DATA_DIR=str(data_dir))
    del env["COMPLAINTS_SESSION_SECRET"]  # compose demands one from the shell; the storm sets its own
    return env


async def stream_replicas(url: str) -> dict[str, tuple[int, str | None, int]]:
    """Stream -> (configured replicas, leader, current peers) as the cluster reports them."""
    nc = await nats.connect(servers=url.split(","))
    try:
        js = nc.jetstream()
        found = {}
        for name in ("INTAKE", "COMPLAINTS", "OUTBOUND", "TICKETS", "SHUNT", "ATTACHMENTS", "NOTICES"):
            info = await js.stream_info(name)
            cluster = info.cluster
            peers = sum(1 for r in (cluster.replicas or []) if r.current) if cluster else 0
            found[name] = (info.config.num_replicas or 1, cluster.leader if cluster else None, peers)
        return found
    finally:
        await nc.close()


def node_named(cluster: NatsCluster, name: str | None) -> NatsNode:
    return next(node for node in cluster.nodes if node.name == name)


async def test_compose_shape_survives_a_nats_node_kill(tmp_path: Path, postgres_server: PostgresServer) -> None:
    services = compose()["services"]
    names = nats_services(services)
    assert names == ["nats1", "nats2", "nats3"]
    cluster = cluster_from_compose(services, names, tmp_path / "nats")
    await asyncio.to_thread(cluster.start)
    workers = worker_services(services)
    assert sorted(worker for worker, _ in workers.values()) == sorted(WORKER_NAMES), "a worker without a service"
    layout = [(f"{service}#{i}", (worker,)) for service, (worker, replicas) in sorted(workers.items())
              for i in range(1, max(replicas, MIN_REPLICAS) + 1)]
    assert services["web"]["command"] == ["web"] and services["migrate"]["command"] == ["migrate"]
    database_url = postgres_server.create_database(f"cluster_{uuid.uuid4().hex[:8]}")
    env = gateway_environment(services, names, cluster, database_url, tmp_path / "data")
    assert env["COMPLAINTS_STREAM_REPLICAS"] == "3"
    try:
        async with running_gateway(tmp_path, cluster.url, layout, database_url, extra_env=env) as gateway:
            replicas = await stream_replicas(cluster.url)
            assert {n for n, _, _ in replicas.values()} == {3}, replicas
            leader = node_named(cluster, replicas["INTAKE"][1])
            report = StormReport()
            storm = asyncio.create_task(StormDriver(gateway.web_url).run(SUBMISSIONS, seed=4, report=report))

            async def a_third_in() -> bool:
                return len(report.accepted) >= SUBMISSIONS // 3

            await eventually(a_third_in, within=600)
            before_kill = len(report.accepted)
            leader.kill()
            killed_at = time.monotonic()
            await storm
            after_kill = len(report.accepted) - before_kill
            outcome, drain_seconds = await drain(gateway.database, gateway.nats_url, report, gateway.vk,
                                                 gateway.telegram, gateway.smtp)
            leaders_after = {name: leader for name, (_, leader, _) in (await stream_replicas(cluster.url)).items()}
            down_for = time.monotonic() - killed_at
            leader.start()  # back into the cluster: it catches up from the other two
            await asyncio.to_thread(leader.wait_healthy, 120.0)
            crashed = gateway.supervisor.dead()
    finally:
        cluster.stop()

    print(f"\ncluster: 3 nats-server (R3), PostgreSQL, {len(layout)} worker processes "
          f"({', '.join(name for name, _ in layout)}) + web; {SUBMISSIONS} submissions in {report.seconds:.1f} s")
    print(f"  {leader.name} (INTAKE's leader) SIGKILLed after {before_kill} accepted, {after_kill} accepted after; "
          f"down {down_for:.1f} s; stream leaders afterwards {leaders_after}")
    print(f"  edges: {len(report.accepted)} accepted, {report.retried} needed a retry, "
          f"refusals {dict(report.refused)}, gave up {len(report.gave_up)}")
    print(f"  {outcome.figures()}")
    print(f"  drain after the storm: {drain_seconds:.1f} s (with one node down)")
    for sid, reason in list(outcome.shunted.items())[:5]:
        print(f"  shunted {sid}: {reason[:200]}")

    assert not crashed, f"processes not running at the end: {crashed}"
    assert leader.name not in leaders_after.values()
    assert not report.gave_up and len(report.accepted) == SUBMISSIONS
    assert_every_acknowledged_submission_settled(outcome, report, SUBMISSIONS)

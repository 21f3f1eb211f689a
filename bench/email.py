"""Benchmark: mails from a real dovecot to tickets through the whole gateway (IMAP intake included).

Loads N mixed mails (plain UTF-8, windows-1251 and koi8-r, HTML-only, attachments with Cyrillic names,
quoted replies, auto-replies) into a dovecot mailbox, then starts the gateway as `complaints up` runs it
(embedded nats-server, SQLite, the worker processes, the email intake process, an SMTP server taking
the replies) and measures:
- throughput: mails routed per second, from the intake's start to the last mail routed (robots are
  routed too but make no ticket), and tickets per second;
- single-mail latency on the idle system (IDLE path): APPEND returns -> ticket committed, p50/p95/p99.

With --stages it measures instead the CPU per mail of the two email stages alone, in this process
(process_time: user + system of every thread, so the intake's blob writes count), on the same mix:
- intake: dovecot -> MailboxLoop (aioimaplib FETCH, blob store with fsync, the RawSubmission published
  to a real JetStream INTAKE stream and PubAcked, \\Seen, checkpoints) -> mails/s and CPU ms per mail;
- normalize: each published RawSubmission body -> workers.stages.normalize.normalized() (validate,
  normalize, the event's JSON), as the normalize worker runs it for each message of a pulled batch
  (the NATS pull and ack around it are not counted) -> CPU ms per mail and per-mail latency p50/p95/p99,
  the least of 3 rounds over the same mails.
--profile DIR writes a cProfile of each stage there (pstats files intake.prof and normalize.prof).

    uv run python bench/email.py [-n 10000] [--single 50]
    uv run python bench/email.py --stages [-n 3000] [--profile /tmp/prof]
"""

from __future__ import annotations

# isort: off
import benchpath  # noqa: F401 - first: fixes sys.path before the stdlib `email` is imported
# isort: on

import argparse
import asyncio
import gc
import json
import os
import random
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from measure import cpu_by_command, cpu_seconds, machine_jiffies, pct, peak_rss_mb, start_workers, wait_for_consumers
from sqlalchemy import func, select

from router.models import Delivery, Outbox, Submission, Ticket
from router.timeutil import aware
from tests.support.dovecot import DovecotServer, start_dovecot
from tests.support.smtp import free_port
from workers.app.nats_embedded import EmbeddedNats
from workers.app.runtime import Database, Runtime, declare_all_streams, make_broker
from workers.app.settings import Settings
from workers.app.worker_set import CONSUMERS, process_groups

CLAIMS = "claims@operator.example.ru"
DOVECOT_COMMANDS = ("dovecot", "imap", "auth", "anvil", "log", "config", "stats")
COMPLAINT = (
    "Добрый день! Прошу разобраться: интернет пропадает каждый вечер с 19 до 23 часов, скорость ниже "
    "тарифной. Роутер перезагружал, кабель проверял. Прошу сделать перерасчёт абонентской платы за "
    "дни без связи. Договор № 12-{contract:06d}, телефон для связи +7 916 {phone:07d}.\n"
)
QUOTE = "\n\n-----Original Message-----\nFrom: claims@operator.example.ru\nSent: Monday\n\n> Ваша претензия принята.\n"


def _headers(msg: Any, i: int, subject: str, sender: str) -> Any:
    msg["From"] = formataddr((f"Клиент {i}", sender), charset="utf-8")
    msg["To"] = CLAIMS
    msg["Subject"] = Header(subject, "utf-8")
    msg["Message-ID"] = f"<bench-{i}-{uuid.uuid4().hex[:8]}@mail.example.ru>"
    msg["Date"] = format_datetime(datetime.now(UTC))
    return msg


def mixed_mail(i: int, rng: random.Random) -> bytes:
    """One of seven shapes, ~2-25 KB, as Russian mail clients send them."""
    sender = f"client{i}@example.ru"
    body = COMPLAINT.format(contract=i % 1_000_000, phone=i % 10_000_000) * rng.randint(2, 8)
    shape = i % 20
    if shape < 8:
        msg = MIMEText(body, "plain", "utf-8")
    elif shape < 11:
        msg = MIMEText(body, "plain", "cp1251")
        msg.replace_header("Content-Type", 'text/plain; charset="windows-1251"')
    elif shape < 13:
        msg = MIMEText(body.replace("№", "N"), "plain", "koi8-r")  # koi8-r has no №
    elif shape < 16:
        html = "".join(f"<p>{line}</p>" for line in body.splitlines())
        msg = MIMEText(f"<html><body><div>{html}</div><style>p{{}}</style></body></html>", "html", "utf-8")
    elif shape < 18:
        msg = MIMEMultipart("mixed")
        msg.attach(MIMEText(body, "plain", "utf-8"))
        attachment = MIMEApplication(rng.randbytes(rng.randint(2_000, 12_000)), "pdf")
        attachment.add_header("Content-Disposition", "attachment", filename=("utf-8", "", f"Квитанция {i}.pdf"))
        msg.attach(attachment)
    elif shape < 19:
        msg = MIMEText(body + QUOTE, "plain", "utf-8")
    else:
        msg = MIMEText("Я в отпуске до 1 декабря, отвечу после возвращения.", "plain", "utf-8")
        msg["Auto-Submitted"] = "auto-replied"
        return _headers(msg, i, "Автоответ: Re: Ваша претензия", sender).as_bytes()
    return _headers(msg, i, f"Претензия {i}: нет интернета", sender).as_bytes()


def load_mails(server: DovecotServer, mails: list[bytes], connections: int = 4) -> float:
    """APPEND every mail over a few IMAP connections; returns seconds taken."""
    started = time.monotonic()
    chunks = [mails[k::connections] for k in range(connections)]
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(server.append_many, chunks))
    return time.monotonic() - started


class CountingHandler:
    """An SMTP server that takes the replies and only counts them (the benchmark measures the gateway)."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.count += 1
        return "250 OK"


async def routed_count(database: Database) -> int:
    async with database.read_sessions() as session:
        return int(await session.scalar(
            select(func.count()).select_from(Submission).where(Submission.channel == "email")) or 0)


async def wait_routed(database: Database, n: int, within: float) -> None:
    deadline = time.monotonic() + within
    while (done := await routed_count(database)) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {done} of {n} mails routed in {within:.0f}s")
        await asyncio.sleep(0.25)


async def wait_quiet(database: Database, within: float = 300.0) -> None:
    """Until every reply of the bulk run is delivered (the system is idle again)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with database.read_sessions() as session:
            replies = await session.scalar(
                select(func.count()).select_from(Outbox).where(Outbox.subject.like("outbound.%")))
            delivered = await session.scalar(select(func.count()).select_from(Delivery))
        if delivered == replies:
            return
        await asyncio.sleep(0.25)


async def single_mail_latencies(
    server: DovecotServer, database: Database, samples: int
) -> tuple[list[float], list[float]]:
    """APPEND one mail at a time on the idle system; ms from APPEND returning to its ticket committed,
    and of that, ms from the intake fetching it (received_at) to the router's transaction (routed_at)."""
    latencies: list[float] = []
    inside: list[float] = []
    rng = random.Random(7)
    for k in range(samples):
        raw = mixed_mail(1_000_000 + k * 20, rng)  # shape 0: a plain complaint
        message_id = raw.split(b"Message-ID: ", 1)[1].split(b"\n", 1)[0].strip().decode()
        await asyncio.to_thread(server.append, raw)
        appended = time.monotonic()
        while True:
            async with database.read_sessions() as session:
                row = (await session.execute(
                    select(Submission.ticket_id, Submission.received_at, Submission.routed_at)
                    .where(Submission.content_id == message_id))).first()
            if row is not None:
                latencies.append((time.monotonic() - appended) * 1000)
                inside.append((aware(row.routed_at) - aware(row.received_at)).total_seconds() * 1000)
                break
            if time.monotonic() - appended > 30:
                raise TimeoutError(f"mail {message_id} not routed in 30 s")
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.2)
    return latencies, inside


async def run(n: int, samples: int, base: Path) -> dict[str, Any]:
    rng = random.Random(42)
    mails = [mixed_mail(i, rng) for i in range(n)]
    robots = sum(1 for i in range(n) if i % 20 == 19)
    dovecot = start_dovecot()
    smtp_handler = CountingHandler()
    smtp = Controller(smtp_handler, hostname="127.0.0.1", port=free_port())
    smtp.start()
    nats_server = EmbeddedNats(base)
    workers: list[Any] = []
    try:
        load_s = load_mails(dovecot, mails)
        url = nats_server.start()
        mailbox = {"name": "claims", "host": dovecot.host, "port": dovecot.port, "ssl": False,
                   "username": "claims", "password": dovecot.users["claims"]}
        smtp_config = {"host": "127.0.0.1", "port": smtp.port, "from_address": CLAIMS, "start_tls": False}
        settings = Settings(data_dir=base, NATS_URL=url)
        database = Database.from_settings(settings)
        await database.migrate()
        broker = make_broker(url)
        await broker.connect()
        await declare_all_streams(broker, Runtime(settings).streams)
        await broker.stop()
        env = dict(os.environ, NATS_URL=url, COMPLAINTS_DATA_DIR=str(base), COMPLAINTS_LOG_LEVEL="WARNING",
                   COMPLAINTS_SMTP=json.dumps(smtp_config), COMPLAINTS_EMAIL_REPLY_CAP_PER_DAY="1000")
        groups = process_groups(settings)
        workers = start_workers(groups, env)
        await wait_for_consumers(url, {spec.durable: spec.stream for spec in CONSUMERS.values()})
        pids = {"+".join(group): p.pid for group, p in zip(groups, workers, strict=True)}
        intake_env = dict(env, COMPLAINTS_EMAIL_MAILBOXES=json.dumps([mailbox]))
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        machine_before = machine_jiffies()
        started = time.monotonic()
        [intake] = start_workers([("email",)], intake_env)
        workers.append(intake)
        pids["email intake"] = intake.pid
        if nats_server.process:
            pids["nats-server"] = nats_server.process.pid
            cpu_before["nats-server"] = cpu_seconds(nats_server.process.pid)
        cpu_before["email intake"] = 0.0
        dovecot_before = cpu_by_command(DOVECOT_COMMANDS)
        pids["bench (SMTP server, polling)"] = os.getpid()
        cpu_before["bench (SMTP server, polling)"] = cpu_seconds(os.getpid())
        await wait_routed(database, n, within=max(300.0, n / 20))
        bulk_s = time.monotonic() - started
        cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        cpu["dovecot"] = cpu_by_command(DOVECOT_COMMANDS) - dovecot_before
        machine_after = machine_jiffies()
        async with database.read_sessions() as session:
            tickets = int(await session.scalar(select(func.count()).select_from(Ticket)) or 0)
        await wait_quiet(database)
        replies = smtp_handler.count
        async with database.read_sessions() as session:
            statuses = dict((await session.execute(
                select(Delivery.status, func.count()).group_by(Delivery.status))).all())
            details = list(await session.scalars(select(Delivery.detail).where(Delivery.status != "sent").limit(3)))
        await asyncio.sleep(2.0)
        single, inside = await single_mail_latencies(dovecot, database, samples)
        rss = {name: peak_rss_mb(pid) for name, pid in pids.items()}
        await database.close()
    finally:
        for p in workers:
            p.terminate()
        for p in workers:
            p.wait(30)
        nats_server.stop()
        smtp.stop()
        dovecot.cleanup()
    return {
        "n": n, "robots": robots, "tickets": tickets, "replies": replies, "statuses": statuses, "details": details,
        "load_s": load_s, "bulk_s": bulk_s,
        "mean_size": sum(map(len, mails)) / n, "single": single, "inside": inside, "rss": rss,
        "cpu": {k: v / n * 1000 for k, v in cpu.items()},
        "machine_busy": (machine_after[0] - machine_before[0]) / max(1, machine_after[1] - machine_before[1]),
    }


class _PublishedMails:
    """The intake's publish callback: JetStream publish (PubAck awaited), the bodies kept for the normalize stage."""

    def __init__(self, js: Any, publish: Any) -> None:
        self.js, self.publish = js, publish
        self.raws: list[Any] = []
        self.done = asyncio.Event()
        self.expected = 0

    async def __call__(self, raw: Any) -> Any:
        ack = await self.publish(self.js, raw)
        self.raws.append(raw)  # its JSON is made after the measurement
        if len(self.raws) >= self.expected:
            self.done.set()
        return ack


async def intake_stage(n: int, base: Path, profile: Path | None) -> dict[str, Any]:
    """The email intake of N mixed mails, in this process: CPU seconds and wall seconds, the published bodies."""
    import cProfile

    import nats

    from channels.blobs import FileBlobStore
    from channels.email.checkpoint import CHECKPOINTS
    from channels.email.config import MailboxConfig
    from channels.email.mailbox import MailboxLoop
    from channels.positions import PositionStore
    from workers.channels.email.process import publish_mail

    rng = random.Random(42)
    mails = [mixed_mail(i, rng) for i in range(n)]
    dovecot = start_dovecot()
    nats_server = EmbeddedNats(base)
    try:
        load_mails(dovecot, mails)
        url = nats_server.start()
        settings = Settings(data_dir=base, NATS_URL=url)
        broker = make_broker(url)
        await broker.connect()
        await declare_all_streams(broker, Runtime(settings).streams)
        await broker.stop()
        nc = await nats.connect(url)
        js = nc.jetstream()
        checkpoints = await PositionStore.open(js, CHECKPOINTS, 1)
        published = _PublishedMails(js, publish_mail)
        published.expected = n
        config = MailboxConfig(name="claims", host=dovecot.host, port=dovecot.port, ssl=False, username="claims",
                               password=dovecot.users["claims"])

        async def quarantine(mail: Any) -> None:
            raise AssertionError(f"unreadable mail in the bench: {mail}")

        loop = MailboxLoop(config, FileBlobStore(base / "blobs"), checkpoints, published, quarantine)
        profiler = cProfile.Profile() if profile else None
        cpu, wall = time.process_time(), time.monotonic()
        if profiler:
            profiler.enable()
        task = asyncio.create_task(loop.run())
        await asyncio.wait_for(published.done.wait(), max(300.0, n / 10))
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(profile / "intake.prof")
        loop.stop.set()
        await task
        await nc.close()
    finally:
        nats_server.stop()
        dovecot.cleanup()
    bodies = [raw.model_dump_json().encode() for raw in published.raws]  # as the INTAKE stream carries them
    return {"cpu": cpu, "wall": wall, "bodies": bodies, "mean_size": sum(map(len, mails)) / n}


ROUNDS = 3


def normalize_stage(bodies: list[bytes], base: Path, profile: Path | None) -> dict[str, Any]:
    """Each published body through the normalize worker's per-message function: CPU seconds, per-mail ms."""
    import cProfile

    from channels.blobs import FileBlobStore
    from normalizer import NormalizerConfig
    from workers.stages.normalize import normalized, normalizer

    normalize_one = normalizer(NormalizerConfig(), FileBlobStore(base / "blobs"))
    for body in bodies[:20]:  # warm: first-use imports and caches
        normalized(body, normalize_one)
    cpu, latencies = float("inf"), []
    for _ in range(ROUNDS):  # the least of a few rounds: other load on the machine only ever adds
        gc.collect()
        round_latencies = []
        started_cpu = time.process_time()
        for body in bodies:
            started = time.perf_counter()
            normalized(body, normalize_one)
            round_latencies.append((time.perf_counter() - started) * 1000)
        used = time.process_time() - started_cpu
        if used < cpu:
            cpu, latencies = used, round_latencies
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for body in bodies:
            normalized(body, normalize_one)
        profiler.disable()
        profiler.dump_stats(profile / "normalize.prof")
    return {"cpu": cpu, "wall": sum(latencies) / 1000, "latencies": latencies}


def stages_main(n: int, profile: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-email-stages-") as tmp:
        intake = asyncio.run(intake_stage(n, Path(tmp), profile))
        normal = normalize_stage(intake["bodies"], Path(tmp), profile)
    lat = normal["latencies"]
    print(f"email stages: {n} mixed mails (~{intake['mean_size'] / 1024:.1f} KB mean), in one process, "
          f"{os.cpu_count()} CPUs{' (cProfile on for the intake)' if profile else ''}")
    print(f"  intake (dovecot FETCH -> blob -> JetStream PubAck -> \\Seen, checkpoint): "
          f"CPU {intake['cpu'] / n * 1000:.3f} ms per mail, {n / intake['wall']:.0f} mails/s")
    print(f"  normalize (RawSubmission JSON -> ComplaintEvent JSON): CPU {normal['cpu'] / n * 1000:.3f} ms per mail, "
          f"{n / normal['wall']:.0f} mails/s; per mail p50 {pct(lat, 50):.3f} ms  p95 {pct(lat, 95):.3f} ms  "
          f"p99 {pct(lat, 99):.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=10_000, help="mails loaded into dovecot (default 10000)")
    parser.add_argument("--single", type=int, default=50, help="single mails for the idle latency (default 50)")
    parser.add_argument("--stages", action="store_true", help="CPU per mail of the intake and the normalizer alone")
    parser.add_argument("--profile", type=Path, help="with --stages: write cProfile stats of each stage here")
    args = parser.parse_args()
    if args.stages:
        if args.profile:
            args.profile.mkdir(parents=True, exist_ok=True)
        stages_main(args.n, args.profile)
        return
    with tempfile.TemporaryDirectory(prefix="bench-email-") as tmp:
        r = asyncio.run(run(args.n, args.single, Path(tmp)))
    print(f"email: {r['n']} mixed mails (~{r['mean_size'] / 1024:.1f} KB mean, {r['robots']} auto-replies) in dovecot, "
          f"{os.cpu_count()} CPUs, embedded nats-server + SQLite, processes as `complaints up` runs them")
    print(f"  loading into dovecot (APPEND, 4 connections): {r['n'] / r['load_s']:.0f} mails/s")
    print(f"  intake start -> last mail routed: {r['bulk_s']:.1f} s = {r['n'] / r['bulk_s']:.0f} mails/s "
          f"({r['tickets']} tickets, {r['tickets'] / r['bulk_s']:.0f} tickets/s; {r['replies']} replies sent)")
    print(f"  deliveries by status: {r['statuses']} {r['details'] if r['details'] else ''}")
    s = r["single"]
    print(f"  single mail on an idle system (IDLE), APPEND -> ticket committed, {len(s)} mails: "
          f"p50 {pct(s, 50):.0f} ms  p95 {pct(s, 95):.0f} ms  p99 {pct(s, 99):.0f} ms  max {max(s):.0f} ms")
    g = r["inside"]
    print(f"    of which fetched by the intake -> routed: p50 {pct(g, 50):.0f} ms  p95 {pct(g, 95):.0f} ms  "
          f"p99 {pct(g, 99):.0f} ms  max {max(g):.0f} ms (the rest: dovecot's IDLE notice, about 0.5 s)")
    print("  peak RSS: " + "  ".join(f"{k} {v:.0f} MB" for k, v in r["rss"].items()))
    print("  CPU ms per mail (bulk run): " + "  ".join(f"{k} {v:.2f}" for k, v in r["cpu"].items())
          + f"; machine busy {r['machine_busy'] * 100:.0f}% of {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

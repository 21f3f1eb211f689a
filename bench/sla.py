"""Benchmark: one tick of the sla worker with N open tickets, on SQLite and PostgreSQL (issue 10: under 1 s).

Seeds N open tickets registered over the 60 days before a fixed moment `now` (so their legal limits fall
over the next 60 days), each with its 6 timers as the router stores them (router.sla.timers.timer_rows:
first response, resolution and legal, each a warning and a breach), ~6N rows in sla_timers. The timers
whose moment is already past are stored as fired, as the worker would have left them: they stay in the
table but not in the partial index ix_sla_timers_due. Then, in the worker's own transactions
(Database.run_transaction, as workers/stages/sla.py runs them), it measures:
- the idle tick (nothing due): router.sla.fire.tick at `now`, repeated;
- the busy tick firing K timers (history, staff alerts, outbox notices): each round moves `now` to the
  moment the next K pending timers are due, so every round fires K new ones;
- one tick of a full worker batch (TICK_LIMIT timers);
- the plan of the due-timers query exactly as tick() sends it (captured from the cursor), by
  EXPLAIN QUERY PLAN (SQLite) or EXPLAIN ANALYZE (PostgreSQL): it must read ix_sla_timers_due;
- the seeding time (informative) and the peak RSS of this process.

PostgreSQL is a throwaway server from Debian's binaries (as tests/support/postgres.py starts it, but with
fsync on: commits cost what they cost in production); if it cannot start, that is printed and SQLite
still runs. PostgreSQL gets ANALYZE after the bulk load (what autovacuum would do); SQLite nothing.

    uv run python bench/sla.py [-n 100000] [-k 100] [--rounds 10] [--idle 20] [--backend both|sqlite|postgres]
"""

from __future__ import annotations

# isort: off
import benchpath  # noqa: F401 - first: fixes sys.path before the stdlib `email` is imported
# isort: on

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from measure import pct, peak_rss_mb
from sqlalchemy import event, func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from router.calendar import BusinessCalendar
from router.models import SlaTimer, Staff, Ticket
from router.sla.fire import TICK_LIMIT, Fired, tick
from router.sla.policy import Clock, SlaPolicy
from router.sla.timers import timer_rows
from router.timeutil import to_utc
from tests.support.postgres import PostgresServer, _bin, free_port
from workers.app.runtime import Database
from workers.app.settings import Settings

CHUNK = 5000  # tickets per INSERT batch (and their 6 timers each)
SPREAD = timedelta(days=60)  # tickets registered over the 60 days before `now`
MANAGER, DEPUTY, HEAD, DIRECTOR = "m.manager", "m.deputy", "h.subscriber", "d.director"
TEXT = "Интернет пропадает каждый вечер, скорость ниже тарифной. Прошу разобраться и сделать перерасчёт."


@dataclass
class Result:
    backend: str
    tickets: int = 0
    timers: int = 0
    pending: int = 0
    seed_s: float = 0.0
    deadlines_s: float = 0.0
    idle_ms: list[float] = field(default_factory=list)
    busy_ms: list[float] = field(default_factory=list)
    busy_fired: int = 0
    batch_ms: float = 0.0
    batch_fired: int = 0
    plan: list[str] = field(default_factory=list)
    rss_mb: float = 0.0


class DurablePostgres(PostgresServer):
    """tests.support.postgres's throwaway server, with fsync left on."""

    def start(self) -> None:
        data = self.base / "data"
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        subprocess.run([*self._as_user, _bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "-E", "UTF8", "--locale=C.UTF-8"], check=True, capture_output=True)
        subprocess.run([*self._as_user, _bin("pg_ctl"), "-D", str(data), "-l", str(self.base / "pg.log"), "-w",
                        "start", "-o", f"-h 127.0.0.1 -p {self.port} -k {self.base}"],
                       check=True, capture_output=True)


def staff_rows() -> list[dict[str, Any]]:
    def one(login: str, name: str, role: str, deputy: str | None = None) -> dict[str, Any]:
        return {"login": login, "name": name, "role": role, "department": "management", "deputy_login": deputy,
                "active": True, "email": f"{login}@example.ru", "password_hash": None}

    return [one(MANAGER, "Петрова Мария", "manager", DEPUTY), one(DEPUTY, "Волков Максим", "manager"),
            one(HEAD, "Соколова Ирина", "subscriber_head"), one(DIRECTOR, "Белов Сергей", "director")]


def chunks(n: int, now: datetime, calendar: BusinessCalendar, policy: SlaPolicy,
           spent: list[float]) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """(tickets, timers) CHUNK tickets at a time, the same for every backend (a fixed seed); the time spent
    computing the deadlines is added to spent[0]."""
    rng = random.Random(10)
    for first in range(1, n + 1, CHUNK):
        started = time.perf_counter()
        tickets: list[dict[str, Any]] = []
        timers: list[dict[str, Any]] = []
        for i in range(first, min(first + CHUNK, n + 1)):
            registered = now - timedelta(seconds=rng.uniform(0, SPREAD.total_seconds()))
            due = calendar.deadlines(registered)
            tickets.append({
                "id": i, "number": f"C-2026-{i:06d}", "client_id": None, "assignee_login": MANAGER,
                "queue": "managers", "stage": "primary_review", "status": "open", "channel": "web",
                "subject": None, "text": TEXT, "category": None, "created_at": to_utc(registered),
                "first_response_due": to_utc(due.first_response), "resolution_due": to_utc(due.resolution),
                "legal_due": to_utc(due.legal), "closed_at": None, "reopened_at": None, "parent_ticket_id": None,
                "conversation": None, "department": None, "handler_login": None, "acknowledged_at": None,
                "resolved_at": None, "waiting_for_client": False, "director_pending": False, "review_round": 0,
                "dispute_due": None, "paused_at": None,
            })
            for row in timer_rows(calendar, policy, {Clock.FIRST_RESPONSE: due.first_response,
                                                     Clock.RESOLUTION: due.resolution, Clock.LEGAL: due.legal}, i):
                if row["fire_at"] <= now:  # fired by the worker before `now`
                    row["fired_at"], row["outcome"] = row["fire_at"], "fired"
                timers.append(row)
        spent[0] += time.perf_counter() - started
        yield tickets, timers


async def seed(db: Database, result: Result, n: int, now: datetime, settings: Settings) -> None:
    spent = [0.0]
    started = time.perf_counter()
    data = chunks(n, now, settings.calendar, settings.sla_policy, spent)
    tickets_t, timers_t, staff_t = Ticket.__table__, SlaTimer.__table__, Staff.__table__
    if db.sync_engine is not None:  # SQLite: the plain driver, synchronous=OFF on this connection while seeding
        with db.sync_engine.connect() as conn:
            raw = conn.connection.driver_connection  # autocommit: a PRAGMA outside any transaction
            assert raw is not None
            raw.execute("PRAGMA synchronous=OFF")
            conn.execute(insert(staff_t), staff_rows())
            for tickets, timers in data:
                conn.execute(insert(tickets_t), tickets)
                conn.execute(insert(timers_t), timers)
            conn.commit()
            raw.execute("PRAGMA synchronous=NORMAL")  # back to the store's setting (router.store)
    else:
        async with db.engine.begin() as aconn:
            await aconn.execute(insert(staff_t), staff_rows())
            for tickets, timers in data:
                await aconn.execute(insert(tickets_t), tickets)
                await aconn.execute(insert(timers_t), timers)
            await aconn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('tickets', 'id'), max(id)) "
                                        "FROM tickets")
        async with db.engine.connect() as aconn:
            await aconn.execution_options(isolation_level="AUTOCOMMIT")
            await aconn.exec_driver_sql("ANALYZE")
    result.seed_s = time.perf_counter() - started
    result.deadlines_s = spent[0]

    def counts(session: Session) -> tuple[int, int, int]:
        return (session.scalar(select(func.count()).select_from(Ticket)) or 0,
                session.scalar(select(func.count()).select_from(SlaTimer)) or 0,
                session.scalar(select(func.count()).select_from(SlaTimer).where(SlaTimer.fired_at.is_(None))) or 0)

    result.tickets, result.timers, result.pending = await db.run_transaction(counts)


def sync_engine_of(db: Database) -> Engine:
    return db.sync_engine if db.sync_engine is not None else db.engine.sync_engine


async def timed_tick(db: Database, settings: Settings, now: datetime, limit: int) -> tuple[float, list[Fired]]:
    calendar, policy = settings.calendar, settings.sla_policy
    started = time.perf_counter()
    fired = await db.run_transaction(lambda s: tick(s, calendar, policy, now, limit))
    return (time.perf_counter() - started) * 1000, fired


async def next_due(db: Database, k: int) -> datetime:
    """The moment by which the next k pending timers are due (not timed)."""
    def read(session: Session) -> datetime:
        moment = session.scalar(select(SlaTimer.fire_at).where(SlaTimer.fired_at.is_(None),
                                                                SlaTimer.fire_at.is_not(None))
                                .order_by(SlaTimer.fire_at, SlaTimer.id).offset(k - 1).limit(1))
        assert moment is not None, "fewer pending timers than the rounds need"
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return await db.run_transaction(read)


async def explain(db: Database, sql: str, params: Any) -> list[str]:
    if db.sync_engine is not None:
        with db.sync_engine.connect() as conn:
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
            conn.rollback()
        return [str(row[-1]) for row in rows]
    async with db.engine.connect() as aconn:
        result = await aconn.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        return [str(row[0]) for row in result.all()]


async def measure(db: Database, settings: Settings, result: Result, now: datetime, idle: int, k: int,
                  rounds: int) -> None:
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "FROM sla_timers" in statement and not captured:
            captured.append((statement, parameters))

    engine = sync_engine_of(db)
    event.listen(engine, "before_cursor_execute", capture)
    try:
        for _ in range(idle):
            ms, fired = await timed_tick(db, settings, now, TICK_LIMIT)
            assert not fired, f"{len(fired)} timers due at the idle moment"
            result.idle_ms.append(ms)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    sql, params = captured[0]
    result.plan = await explain(db, sql, params)

    for _ in range(rounds):
        moment = await next_due(db, k)
        ms, fired = await timed_tick(db, settings, moment, k)
        assert len(fired) == k, f"fired {len(fired)} of {k}"
        result.busy_ms.append(ms)
        result.busy_fired += sum(1 for f in fired if f.outcome == "fired")
    moment = await next_due(db, TICK_LIMIT)
    result.batch_ms, fired = await timed_tick(db, settings, moment, TICK_LIMIT)
    result.batch_fired = len(fired)
    result.rss_mb = peak_rss_mb(os.getpid())


async def run(backend: str, url: str | None, data_dir: Path, n: int, now: datetime, idle: int, k: int,
              rounds: int) -> Result:
    settings = Settings(data_dir=data_dir, DATABASE_URL=url) if url else Settings(data_dir=data_dir)
    db = Database.from_settings(settings)
    result = Result(backend)
    try:
        await db.migrate()
        await seed(db, result, n, now, settings)
        await measure(db, settings, result, now, idle, k, rounds)
    finally:
        await db.close()
    return result


def report(r: Result, k: int) -> None:
    uses_index = any("ix_sla_timers_due" in line for line in r.plan)
    # The summary shows the plan's step that reads sla_timers (PostgreSQL: the line naming the index).
    steps = [line.strip().removeprefix("->").strip() for line in r.plan if "sla_timers" in line] or r.plan[:1]
    plan = " / ".join(step.split("  (cost=")[0] for step in steps)
    print(f"{r.backend}: {r.tickets} open tickets, {r.timers} timers ({r.pending} pending); "
          f"idle tick p50 {pct(r.idle_ms, 50):.1f} ms p95 {pct(r.idle_ms, 95):.1f} ms max {max(r.idle_ms):.1f} ms; "
          f"tick firing {k} timers p50 {pct(r.busy_ms, 50):.0f} ms p95 {pct(r.busy_ms, 95):.0f} ms "
          f"max {max(r.busy_ms):.0f} ms; plan: {plan}")
    print(f"  a full worker batch: {r.batch_fired} timers in one tick {r.batch_ms:.0f} ms; "
          f"{r.busy_fired} of {len(r.busy_ms) * k} busy-round timers fired (the rest: clock stopped)")
    print(f"  seeding {r.seed_s:.1f} s (of which {r.deadlines_s:.1f} s computing deadlines and timers); "
          f"peak RSS of this process so far {r.rss_mb:.0f} MB")
    print(f"  due-timers query plan ({'uses' if uses_index else 'DOES NOT USE'} ix_sla_timers_due):")
    for line in r.plan:
        print(f"    {line}")
    worst = max(max(r.idle_ms), max(r.busy_ms), r.batch_ms)
    print(f"  goal one tick < 1 s: {'met' if worst < 1000 else 'MISSED'} (worst {worst:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=100_000, help="open tickets (default 100000)")
    parser.add_argument("-k", type=int, default=100, help="timers fired by each busy tick (default 100)")
    parser.add_argument("--rounds", type=int, default=10, help="busy ticks (default 10)")
    parser.add_argument("--idle", type=int, default=20, help="idle ticks (default 20)")
    parser.add_argument("--backend", choices=["both", "sqlite", "postgres"], default="both")
    args = parser.parse_args()
    # Tuesday 17 March 2026, 10:00 in Moscow: a working morning.
    now = datetime(2026, 3, 17, 7, 0, tzinfo=UTC)
    print(f"sla tick: {args.n} open tickets registered over the 60 days before {now.isoformat()}, "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-sla-") as tmp:
        if args.backend in ("both", "sqlite"):
            report(asyncio.run(run("sqlite", None, Path(tmp) / "sqlite", args.n, now, args.idle, args.k,
                                   args.rounds)), args.k)
        if args.backend in ("both", "postgres"):
            server = DurablePostgres(Path(tempfile.mkdtemp(prefix="bench-sla-pg-")), free_port())
            try:
                server.start()
            except (OSError, subprocess.CalledProcessError) as exc:
                server.stop()
                detail = getattr(exc, "stderr", b"") or b""
                print(f"postgresql: NOT RUN, the server could not start: {exc} {detail.decode(errors='replace')}")
                return
            try:
                url = server.create_database("sla_bench")
                report(asyncio.run(run("postgresql", url, Path(tmp) / "pg", args.n, now, args.idle, args.k,
                                       args.rounds)), args.k)
            finally:
                server.stop()


if __name__ == "__main__":
    main()

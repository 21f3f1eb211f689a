"""Nothing is dropped: what a stage cannot process lands in SHUNT with its reason and can be replayed."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from typer.testing import CliRunner

from channels.web import parse_feedback
from router.models import Submission, Ticket
from tests.support.waiting import eventually
from workers.app.runtime import Database
from workers.app.settings import Settings
from workers.app.worker_set import WorkerSet
from workers.bus.publish import publish_submission
from workers.bus.shunt import jetstream_of, list_shunted
from workers.cli import app


async def shunted(pipeline: WorkerSet, stage: str) -> list:
    items = await list_shunted(jetstream_of(pipeline.broker))
    return [i for i in items if i.envelope.stage == stage]


async def cli(settings: Settings, *args: str) -> str:
    env = {"NATS_URL": settings.nats_url or "", "COMPLAINTS_DATA_DIR": str(settings.data_dir)}
    result = await asyncio.to_thread(CliRunner().invoke, app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result.output


async def test_malformed_submission_is_shunted_with_reason_and_replayable(
    pipeline: WorkerSet, settings: Settings
) -> None:
    js = jetstream_of(pipeline.broker)
    await js.publish("intake.raw.web", b'{"channel": "web", "text": "no envelope"}', headers={"Nats-Msg-Id": "bad-1"})

    [item] = await eventually(lambda: shunted(pipeline, "normalize"))
    env = item.envelope
    assert env.reason.startswith("permanent: ValidationError")
    assert "submission_id" in env.reason  # names the missing field
    assert env.origin_subject == "intake.raw.web" and env.attempts == 1
    assert json.loads(env.data) == {"channel": "web", "text": "no envelope"}
    assert f"{item.seq}" in await cli(settings, "shunt", "list")
    assert "no envelope" in await cli(settings, "shunt", "show", str(item.seq))

    await cli(settings, "shunt", "replay", str(item.seq))
    # Back on its subject, through the stage again (still malformed, so quarantined anew, marked replayed).
    again = await eventually(lambda: shunted(pipeline, "normalize"))
    assert [i.seq for i in again] != [item.seq]
    assert again[0].envelope.headers["Complaints-Replayed-From"] == str(item.seq)


async def test_transient_failure_gives_up_to_shunt_then_replay_creates_the_ticket(
    pipeline: WorkerSet, database: Database, settings: Settings
) -> None:
    # A real failure in the store: the tickets table refuses inserts (as during a botched maintenance).
    async with database.engine.begin() as conn:
        await conn.execute(text(
            "CREATE TRIGGER maintenance BEFORE INSERT ON tickets "
            "BEGIN SELECT RAISE(ABORT, 'tickets table under maintenance'); END"
        ))
    raw = parse_feedback({"text": "Пропал интернет", "phone": "+79161234567"},
                                      idempotency_key="transient", api_client="lk", received_at=datetime.now(UTC))
    await publish_submission(pipeline.broker, raw)

    [item] = await eventually(lambda: shunted(pipeline, "route"))
    assert item.envelope.attempts == settings.max_deliver
    assert item.envelope.reason.startswith(f"gave up after {settings.max_deliver} attempts")
    assert "tickets table under maintenance" in item.envelope.reason
    async with database.sessions() as session:  # every attempt rolled back whole
        assert await session.scalar(select(func.count()).select_from(Submission)) == 0

    async with database.engine.begin() as conn:
        await conn.execute(text("DROP TRIGGER maintenance"))
    await cli(settings, "shunt", "replay", "--all")

    async def ticket() -> Ticket | None:
        async with database.sessions() as session:
            return await session.scalar(select(Ticket))

    created = await eventually(ticket)
    assert created.channel == "web"
    assert await shunted(pipeline, "route") == []


async def test_a_record_from_a_channel_edge_is_shown_but_not_replayed(pipeline: WorkerSet, settings: Settings) -> None:
    from channels.email.mailbox import UnreadableMail
    from workers.channels.email.process import record_unreadable

    js = jetstream_of(pipeline.broker)
    mail = UnreadableMail(mailbox="claims", folder="INBOX", uidvalidity=7, uid=42,
                          reason="сервер не отдал письмо: FETCH вернул пустой ответ")
    await record_unreadable(js, mail)
    [item] = await eventually(lambda: shunted(pipeline, "email_intake"))
    assert not item.envelope.replayable

    env = {"NATS_URL": settings.nats_url or "", "COMPLAINTS_DATA_DIR": str(settings.data_dir)}
    result = await asyncio.to_thread(CliRunner().invoke, app, ["shunt", "replay", str(item.seq)], env=env)
    assert result.exit_code == 1 and "не повторяется" in result.output
    assert [i.seq for i in await shunted(pipeline, "email_intake")] == [item.seq]  # still there, still visible

"""APPEND to a real dovecot -> RawSubmission in INTAKE (blob = the mail) -> \\Seen or MOVE -> checkpoint."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest

from channels.email.imap import parse_internal_date
from channels.email.mailbox import arrival_time
from channels.email.submission import mail_native_id
from tests.channels.email.conftest import IntakeHarness, mail, mailbox_config
from tests.support.dovecot import DovecotServer, start_dovecot
from tests.support.waiting import eventually


async def published(harness: IntakeHarness, count: int) -> list:
    async def probe() -> list:
        found = await harness.intake_messages()
        return found if len(found) >= count else []

    return await eventually(probe, within=30)


async def seen(dovecot: DovecotServer, uids: list[int], user: str = "claims") -> None:
    async def probe() -> bool:
        return set(uids) <= set(dovecot.seen_uids(user))

    await eventually(probe, within=30)


async def checkpoint_at(harness: IntakeHarness, mailbox: str, uid: int) -> None:
    async def probe() -> bool:
        checkpoint = await harness.checkpoint(mailbox)
        return checkpoint is not None and checkpoint.last_uid >= uid

    await eventually(probe, within=30)


async def assert_handed_off(harness: IntakeHarness, dovecot: DovecotServer, raw_mail: bytes, uid: int,
                            mailbox: str = "claims") -> None:
    uidvalidity = dovecot.uidvalidity(mailbox)
    [(raw, headers)] = [item for item in await harness.intake_messages()
                        if item[0].native_id == mail_native_id(mailbox, uidvalidity, uid)]
    assert headers["Nats-Msg-Id"] == f"email:{mailbox}:{uidvalidity}:{uid}" == raw.dedup_key
    assert raw.channel == "email"
    assert raw.payload["mailbox"] == mailbox and raw.payload["uid"] == uid
    assert raw.payload["uidvalidity"] == uidvalidity and raw.payload["size"] == len(raw_mail)
    assert raw.blob_keys == [raw.payload["blob_key"]]
    assert harness.blobs.get(raw.payload["blob_key"]) == raw_mail


@pytest.mark.parametrize("idle", [True, False], ids=["idle", "poll"])
async def test_appended_mail_is_published_then_seen_then_checkpointed(
    dovecot: DovecotServer, harness: IntakeHarness, idle: bool
) -> None:
    intake = harness.start(mailbox_config(dovecot, idle=idle, poll_interval=0.3))
    await eventually(lambda: _async(intake.sessions >= 1))
    await eventually(lambda: harness.checkpoint("claims"))  # first scan done, now waiting (IDLE or poll)

    raw_mail = mail(message_id="first@example.ru")
    uid = await dovecot.append_async(raw_mail)
    await published(harness, 1)
    await assert_handed_off(harness, dovecot, raw_mail, uid)
    await seen(dovecot, [uid])
    await checkpoint_at(harness, "claims", uid)

    second = mail(subject="Снова нет интернета")
    uid2 = await dovecot.append_async(second)
    await published(harness, 2)
    await assert_handed_off(harness, dovecot, second, uid2)
    await seen(dovecot, [uid2])
    await checkpoint_at(harness, "claims", uid2)
    assert len(await harness.intake_messages()) == 2
    assert intake.sessions == 1  # one connection all along: the waits were IDLE/poll, not reconnects


async def test_first_start_takes_unseen_mail_only(dovecot: DovecotServer, harness: IntakeHarness) -> None:
    read_before = dovecot.append(mail(subject="old, read by a person"), flags="\\Seen")
    unread = mail(subject="new, unread")
    unread_uid = dovecot.append(unread)
    read_after = dovecot.append(mail(subject="read too"), flags="\\Seen")
    harness.start(mailbox_config(dovecot))
    await checkpoint_at(harness, "claims", read_after)
    found = await harness.intake_messages()
    assert [raw.payload["uid"] for raw, _ in found] == [unread_uid]
    assert read_before < unread_uid
    await assert_handed_off(harness, dovecot, unread, unread_uid)


async def test_processed_folder_moves_published_mail(dovecot: DovecotServer, harness: IntakeHarness) -> None:
    harness.start(mailbox_config(dovecot, processed_folder="Processed"))
    raw_mail = mail()
    uid = await dovecot.append_async(raw_mail)
    await published(harness, 1)
    await assert_handed_off(harness, dovecot, raw_mail, uid)

    async def moved() -> bool:
        return dovecot.uids() == [] and len(dovecot.uids(folder="Processed")) == 1

    await eventually(moved)
    await checkpoint_at(harness, "claims", uid)


async def test_server_without_idle_or_move_falls_back_to_poll_and_copy(harness: IntakeHarness) -> None:
    server = start_dovecot(capabilities="IMAP4rev1 LITERAL+ UIDPLUS")  # no IDLE, no MOVE advertised
    try:
        intake = harness.start(mailbox_config(server, idle=True, processed_folder="Done", poll_interval=0.2))
        raw_mail = mail()
        uid = await server.append_async(raw_mail)
        await published(harness, 1)
        await assert_handed_off(harness, server, raw_mail, uid)

        async def moved() -> bool:
            return server.uids() == [] and len(server.uids(folder="Done")) == 1

        await eventually(moved)
        assert intake.sessions == 1
    finally:
        server.cleanup()


async def test_several_mailboxes_each_its_own_task(dovecot: DovecotServer, harness: IntakeHarness) -> None:
    for user in ("claims", "sales", "other"):
        harness.start(mailbox_config(dovecot, user=user))
    sent = {user: mail(subject=f"to {user}") for user in ("claims", "sales", "other")}
    uids = {user: await dovecot.append_async(raw, user=user) for user, raw in sent.items()}
    await published(harness, 3)
    for user, raw in sent.items():
        await assert_handed_off(harness, dovecot, raw, uids[user], mailbox=user)
        await seen(dovecot, [uids[user]], user=user)
        await checkpoint_at(harness, user, uids[user])


async def test_idle_is_reissued_and_still_sees_mail(dovecot: DovecotServer, harness: IntakeHarness) -> None:
    intake = harness.start(mailbox_config(dovecot, idle_renew=0.2))
    await eventually(lambda: harness.checkpoint("claims"))
    await eventually(lambda: _async(intake.idle_waits >= 4))  # IDLE ended and re-issued several times
    raw_mail = mail()
    uid = await dovecot.append_async(raw_mail)
    await published(harness, 1)
    await assert_handed_off(harness, dovecot, raw_mail, uid)
    await seen(dovecot, [uid])
    assert intake.sessions == 1  # renewed in place, not by reconnecting


async def _async(value: object) -> object:
    return value


async def test_the_clocks_start_when_the_server_received_the_mail(
    dovecot: DovecotServer, harness: IntakeHarness
) -> None:
    """received_at is the mail's INTERNALDATE (a backlog fetched later starts its clocks on time)."""
    arrived = datetime(2026, 11, 20, 16, 5, 7, tzinfo=timezone(timedelta(hours=3)))
    await asyncio.to_thread(dovecot.append, mail(message_id="backlog@example.ru"), "claims", "INBOX", "", arrived)
    harness.start(mailbox_config(dovecot, idle=False, poll_interval=0.3))
    [(raw, _)] = await published(harness, 1)
    assert raw.received_at == arrived


def test_internal_dates_parse_and_a_bad_one_is_none() -> None:
    assert parse_internal_date(b" 3-Dec-2026 09:05:00 +0300") == datetime(
        2026, 12, 3, 9, 5, tzinfo=timezone(timedelta(hours=3)))
    assert parse_internal_date(b"17-Jul-1996 02:44:25 -0700") == datetime(
        1996, 7, 17, 9, 44, 25, tzinfo=UTC)
    assert parse_internal_date(b"31-Foo-2026 09:05:00 +0300") is None
    # A server clock ahead of ours never starts the clocks in the future.
    now = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    assert arrival_time(now + timedelta(hours=1), now) == now and arrival_time(None, now) == now

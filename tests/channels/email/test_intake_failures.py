"""Failures: a crash between PubAck and \\Seen, UIDVALIDITY changes, dovecot restarts, bad mail.

NATS refusing the publish (nothing marked, the checkpoint kept) is in test_contract.py (TestEmailIntake)."""

from __future__ import annotations

import asyncio

from channels.email.mailbox import Backoff
from channels.email.submission import mail_native_id
from tests.channels.email.conftest import IntakeHarness, mail, mailbox_config, make_unreadable
from tests.channels.email.test_intake_flow import assert_handed_off, checkpoint_at, published, seen
from tests.support.dovecot import DovecotServer
from tests.support.waiting import eventually
from workers.bus.shunt import list_shunted


def fast_backoff() -> Backoff:
    return Backoff(initial=0.05, maximum=0.3)


async def truthy(value: object) -> object:
    return value


async def test_crash_between_puback_and_seen_republishes_once(dovecot: DovecotServer, harness: IntakeHarness) -> None:
    crashed = asyncio.Event()

    async def crash_now(uids: list[int]) -> None:
        crashed.set()
        raise asyncio.CancelledError  # the process dies here: PubAck received, nothing marked yet

    harness.start(mailbox_config(dovecot), after_publish=crash_now)
    first = mail(subject="первое")
    uids = dovecot.append_many([first, mail(subject="второе")])
    await asyncio.wait_for(crashed.wait(), 30)
    await asyncio.sleep(0.2)
    assert len(await harness.intake_messages()) == 2
    assert dovecot.seen_uids() == []
    checkpoint = await harness.checkpoint("claims")
    assert checkpoint is not None and checkpoint.last_uid == 0
    assert [ack.duplicate for ack in harness.acks] == [None, None]

    harness.start(mailbox_config(dovecot))  # the restart
    await seen(dovecot, uids)
    await checkpoint_at(harness, "claims", max(uids))
    assert len(harness.acks) == 4 and all(ack.duplicate for ack in harness.acks[2:])  # the stream dropped them
    assert len(await harness.intake_messages()) == 2  # exactly one per mail
    await assert_handed_off(harness, dovecot, first, uids[0])


async def test_uidvalidity_change_rescans_with_new_native_ids(dovecot: DovecotServer, harness: IntakeHarness) -> None:
    dovecot.create_folder("Claims")
    # A short idle_renew: the next command after IDLE is what makes dovecot report the deleted folder.
    intake = harness.start(mailbox_config(dovecot, folder="Claims", idle_renew=0.5), backoff=fast_backoff())
    mails = [mail(subject=f"письмо {n}", message_id=f"m{n}@example.ru") for n in range(2)]
    old_validity = dovecot.uidvalidity(folder="Claims")
    for raw in mails:
        await dovecot.append_async(raw, folder="Claims")
    await published(harness, 2)

    dovecot.delete_folder("Claims")  # the server drops our selected folder: the intake reconnects
    dovecot.create_folder("Claims")
    new_validity = dovecot.uidvalidity(folder="Claims")
    assert new_validity != old_validity
    new_uids = dovecot.append_many(mails, folder="Claims")
    # Mails restored from a backup keep their \Seen flag: the re-scan takes them all the same.
    await published(harness, 4)
    found = await harness.intake_messages()
    assert {raw.native_id for raw, _ in found[2:]} == {mail_native_id("claims", new_validity, uid) for uid in new_uids}
    assert {raw.native_id for raw, _ in found[:2]}.isdisjoint({raw.native_id for raw, _ in found[2:]})
    # Same bytes, same blobs: the router recognises the repeats by Message-ID (content_id).
    def blob_keys(items: list) -> list[str]:
        return sorted(raw.payload["blob_key"] for raw, _ in items)

    assert blob_keys(found[:2]) == blob_keys(found[2:])
    await eventually(lambda: truthy(set(new_uids) <= set(dovecot.seen_uids(folder="Claims"))))
    await checkpoint_at(harness, "claims", max(new_uids))
    assert (await harness.checkpoint("claims")).uidvalidity == new_validity  # type: ignore[union-attr]
    assert intake.sessions >= 2


async def test_reconnects_after_the_server_restarts(dovecot: DovecotServer, harness: IntakeHarness) -> None:
    intake = harness.start(mailbox_config(dovecot), backoff=fast_backoff())
    await eventually(lambda: truthy(intake.idle_waits >= 1))  # waiting in IDLE
    await asyncio.to_thread(dovecot.stop)
    await asyncio.sleep(0.5)  # the intake notices and retries against a closed port
    await asyncio.to_thread(dovecot.start)
    raw_mail = mail(subject="после перезапуска")
    uid = await dovecot.append_async(raw_mail)
    await published(harness, 1)
    await assert_handed_off(harness, dovecot, raw_mail, uid)
    await seen(dovecot, [uid])
    assert intake.sessions >= 2


async def test_garbage_is_published_and_unreadable_mail_is_recorded(
    dovecot: DovecotServer, harness: IntakeHarness
) -> None:
    garbage = b"\xff\xfe not a mail at all \x80\x81\r\n=?broken?=\r\n\r\n\xd0"
    good_before, garbage_uid = dovecot.append_many([mail(subject="до"), garbage])
    unreadable_uid = dovecot.append(mail(subject="UNREADABLE-MARKER"))
    good_after = dovecot.append(mail(subject="после"))
    make_unreadable(dovecot, b"UNREADABLE-MARKER")

    harness.start(mailbox_config(dovecot))
    await published(harness, 3)
    await checkpoint_at(harness, "claims", good_after)
    found = {raw.payload["uid"]: raw for raw, _ in await harness.intake_messages()}
    assert set(found) == {good_before, garbage_uid, good_after}
    assert harness.blobs.get(found[garbage_uid].payload["blob_key"]) == garbage
    [record] = harness.unreadable
    assert record.uid == unreadable_uid and record.mailbox == "claims"
    shunted = await list_shunted(harness.js)
    assert [item.envelope.stage for item in shunted] == ["email_intake"]
    assert f";UID={unreadable_uid}" in shunted[0].envelope.origin_subject
    assert set(dovecot.seen_uids()) == {good_before, garbage_uid, good_after}  # the unreadable one stays unread

"""The per-mailbox intake loop: IMAP -> blob store -> JetStream (PubAck) -> \\Seen or MOVE -> checkpoint.

Order per batch (invariant 1 of the architecture: acknowledge the platform only after the PubAck):
  1. `UID FETCH <set> (UID FLAGS BODY.PEEK[])` of up to `fetch_batch` UIDs above the checkpoint;
  2. each mail's raw bytes go to the blob store (fsynced), its RawSubmission is published with
     `Nats-Msg-Id = email:<mailbox>:<uidvalidity>:<uid>`; the whole batch is in flight at once;
  3. the published UIDs are marked `\\Seen` (or MOVEd to `processed_folder`) in one command;
  4. the checkpoint advances to the highest UID below which every mail is done, once per batch.
A crash anywhere re-publishes from the checkpoint: the stream drops the repeats by Msg-Id.

Which UIDs are taken:
- With a checkpoint: every UID above it, whatever its flags (the checkpoint is the truth; a person
  who opened a mail in the mailbox first must not make it vanish).
- First start (no checkpoint for this mailbox and folder): the UNSEEN mails only; mails already
  read before the gateway existed were handled by people. The checkpoint then covers every UID
  seen at that first scan. (A crash in the middle of that first scan leaves a checkpoint, and the
  rest of that scan is then taken whatever its flags: more tickets, never fewer.)
- UIDVALIDITY changed: every UID from 1 again. The new native ids pass the stream's dedup, so the
  router must dedup on the Message-ID (`ComplaintEvent.content_id`).

A mail the server cannot deliver readably never aborts the batch: whatever bytes came are
published (the normalizer shunts them with the parser's reason); with no bytes at all it is
recorded through `quarantine` (a SHUNT record naming mailbox/UIDVALIDITY/UID), left unread on the
server for people to see, and the intake goes on.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from channels.base import RawSubmission
from channels.blobs import BlobStore
from channels.email.checkpoint import Checkpoint, CheckpointStore
from channels.email.config import MailboxConfig
from channels.email.imap import FetchedMail, ImapLoginFailed, ImapSession, ImapUnavailable
from channels.email.submission import mail_native_id, store_mail

log = logging.getLogger("complaints.email.intake")

Publish = Callable[[RawSubmission], Awaitable[object]]
POISON_ATTEMPTS = 3
# Threads writing one batch's blobs (fsyncs overlap), and the fewest mails worth a thread of their own.
STORE_THREADS = 4
MIN_SHARE = 16


@dataclass(frozen=True)
class UnreadableMail:
    """A UID whose FETCH answer carried no bytes at all."""

    mailbox: str
    folder: str
    uidvalidity: int
    uid: int
    reason: str

    @property
    def native_id(self) -> str:
        return mail_native_id(self.mailbox, self.uidvalidity, self.uid)


Quarantine = Callable[[UnreadableMail], Awaitable[object]]
BatchHook = Callable[[list[int]], Awaitable[None]]


@dataclass
class Backoff:
    """Exponential backoff with full jitter, reset after a healthy session."""

    initial: float = 0.5
    maximum: float = 60.0
    attempt: int = 0

    def next_delay(self) -> float:
        ceiling = min(self.maximum, self.initial * (2 ** self.attempt))
        self.attempt += 1
        return random.uniform(ceiling / 2, ceiling)

    def reset(self) -> None:
        self.attempt = 0


@dataclass
class BatchOutcome:
    done: set[int] = field(default_factory=set)  # published, recorded as unreadable, or gone
    published: list[int] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


@dataclass
class MailboxLoop:
    config: MailboxConfig
    blobs: BlobStore
    checkpoints: CheckpointStore
    publish: Publish
    quarantine: Quarantine
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    imap_timeout: float = 30.0
    backoff: Backoff = field(default_factory=Backoff)
    # Test hook: runs after a batch's PubAcks, before \Seen/MOVE and the checkpoint.
    after_publish: BatchHook | None = None
    sessions: int = field(default=0, init=False)  # connections opened (reconnects show here)
    idle_waits: int = field(default=0, init=False)  # IDLE commands issued
    # (uidvalidity, uid) -> connections lost while fetching it: finds a mail that kills the server's process
    _chunk_failures: dict[tuple[int, int], int] = field(default_factory=dict, init=False)
    _uid_failures: dict[tuple[int, int], int] = field(default_factory=dict, init=False)

    async def run(self) -> None:
        """Until `stop` is set: connect, catch up, wait for news; reconnect with backoff on any failure."""
        while not self.stop.is_set():
            session = ImapSession(self.config, timeout=self.imap_timeout)
            try:
                await session.open()
                self.sessions += 1
                log.info("mailbox %r: connected (UIDVALIDITY %s)", self.config.name, session.uidvalidity)
                await self._serve(session)
            except ImapLoginFailed as exc:
                log.error("mailbox %r: %s", self.config.name, exc)
            except Exception as exc:  # the network, the server, NATS: all temporary from here
                log.warning("mailbox %r: %s; reconnecting", self.config.name, exc)
            finally:
                await session.close()
            if self.stop.is_set():
                break
            delay = self.backoff.next_delay()
            try:
                await asyncio.wait_for(self.stop.wait(), delay)
            except TimeoutError:
                pass

    async def _serve(self, session: ImapSession) -> None:
        checkpoint = await self.checkpoints.load(self.config.name)
        while not self.stop.is_set():
            checkpoint = await self.sync(session, checkpoint)
            self.backoff.reset()  # a full catch-up worked: the next failure starts small again
            if self.stop.is_set():
                return
            if session.supports_idle:
                self.idle_waits += 1
                if not await session.wait_for_news(self.config.idle_renew, self.stop) and not self.stop.is_set():
                    await session.noop()  # a quiet renewal: keep-alive, and the server may report trouble
            else:
                try:
                    await asyncio.wait_for(self.stop.wait(), self.config.poll_interval)
                except TimeoutError:
                    await session.noop()

    async def sync(self, session: ImapSession, checkpoint: Checkpoint | None) -> Checkpoint:
        """Take every pending mail; returns when a search finds nothing new (so IDLE misses nothing)."""
        skip: set[int] = set()
        if checkpoint is not None and checkpoint.folder != self.config.folder:
            checkpoint = None
        if checkpoint is None:
            everything = await session.uids_after(0)
            unseen = set(await session.unseen_uids())
            skip = {uid for uid in everything if uid not in unseen}
            log.info("mailbox %r: first start, %d unseen of %d", self.config.name, len(unseen), len(everything))
            checkpoint = Checkpoint(mailbox=self.config.name, folder=self.config.folder,
                                    uidvalidity=session.uidvalidity, last_uid=0)
            await self.checkpoints.save(checkpoint.mailbox, checkpoint)
        elif checkpoint.uidvalidity != session.uidvalidity:
            log.warning("mailbox %r: UIDVALIDITY changed %s -> %s; re-scanning from UID 1", self.config.name,
                        checkpoint.uidvalidity, session.uidvalidity)
            checkpoint = Checkpoint(mailbox=self.config.name, folder=self.config.folder,
                                    uidvalidity=session.uidvalidity, last_uid=0)
            await self.checkpoints.save(checkpoint.mailbox, checkpoint)
        while not self.stop.is_set():
            session.take_news()
            pending = await session.uids_after(checkpoint.last_uid)
            if not pending:
                if session.take_news():  # announced after the search had run: search again
                    continue
                return checkpoint
            for start in range(0, len(pending), self.config.fetch_batch):
                if self.stop.is_set():
                    return checkpoint
                chunk = pending[start:start + self.config.fetch_batch]
                checkpoint = await self._batch(session, checkpoint, chunk, skip)
        return checkpoint

    async def _batch(self, session: ImapSession, checkpoint: Checkpoint, chunk: list[int],
                     skip: set[int]) -> Checkpoint:
        outcome = BatchOutcome(done={uid for uid in chunk if uid in skip})
        wanted = [uid for uid in chunk if uid not in skip]
        if wanted:
            fetched = await self._fetch(session, wanted)
            results = await self._hand_off_all(session, wanted, fetched)
            for uid, result in zip(wanted, results, strict=True):
                if isinstance(result, BaseException):
                    outcome.errors.append(result)
                    continue
                outcome.done.add(uid)
                if result:
                    outcome.published.append(uid)
            if outcome.published and self.after_publish is not None:
                await self.after_publish(sorted(outcome.published))
            await session.mark_processed(sorted(outcome.published))
        last_uid = checkpoint.last_uid
        for uid in chunk:  # the checkpoint never passes a mail that is not safely published
            if uid not in outcome.done:
                break
            last_uid = uid
        advanced = checkpoint
        if last_uid != checkpoint.last_uid:
            advanced = checkpoint.model_copy(update={"last_uid": last_uid})
            await self.checkpoints.save(advanced.mailbox, advanced)
        if outcome.errors:
            raise outcome.errors[0]
        return advanced

    async def _fetch(self, session: ImapSession, uids: list[int]) -> dict[int, FetchedMail]:
        chunk_key = (session.uidvalidity, uids[0])
        if len(uids) > 1 and not self._chunk_failures.get(chunk_key):
            try:
                fetched = await session.fetch(uids)
            except ImapUnavailable:
                self._chunk_failures[chunk_key] = 1  # next time one by one, to find the mail that does it
                raise
            # A failed FETCH answer may hide one bad message among good ones: ask for the rest singly.
            for uid in uids:
                mail = fetched.get(uid)
                if mail is not None and mail.data is None and mail.problem:
                    fetched.update(await session.fetch([uid]))
            return fetched
        fetched = {}
        for uid in uids:
            uid_key = (session.uidvalidity, uid)
            if self._uid_failures.get(uid_key, 0) >= POISON_ATTEMPTS:
                # This mail breaks the server's connection every time: record it and go on.
                fetched[uid] = FetchedMail(uid, problem=f"the server dropped the connection on each of "
                                                        f"{POISON_ATTEMPTS} attempts to FETCH it")
                continue
            try:
                fetched.update(await session.fetch([uid]))
            except ImapUnavailable:
                self._uid_failures[uid_key] = self._uid_failures.get(uid_key, 0) + 1
                raise
        self._chunk_failures.pop(chunk_key, None)
        return fetched

    async def _hand_off_all(self, session: ImapSession, uids: list[int],
                            fetched: dict[int, FetchedMail]) -> list[bool | BaseException]:
        """Each UID's hand-off, in `uids` order: True when published, False when there was nothing to
        publish (gone or unreadable, recorded), or the exception that stopped it.

        The blobs are written by a few threads, each a share of the batch in one call (a thread hop per
        mail cost more CPU than the write), and each share's mails are published as soon as its blobs are
        on disk; every publish still follows its own blob, and the whole batch is in flight at once.
        """
        results: dict[int, bool | BaseException] = {}
        readable: list[FetchedMail] = []
        for uid in uids:
            mail = fetched.get(uid)
            if mail is not None and mail.data is not None:
                readable.append(mail)
                continue
            try:
                results[uid] = await self._not_published(session, uid, mail)
            except Exception as exc:
                results[uid] = exc
        size = max(MIN_SHARE, -(-len(readable) // STORE_THREADS))  # contiguous shares: UID order kept
        outcomes = await asyncio.gather(*(self._store_and_publish(session, readable[k:k + size])
                                          for k in range(0, len(readable), size)))
        for outcome in outcomes:
            results.update(outcome)
        return [results[uid] for uid in uids]

    async def _not_published(self, session: ImapSession, uid: int, mail: FetchedMail | None) -> bool:
        name, uidvalidity = self.config.name, session.uidvalidity
        if mail is None:
            # The answer was OK but did not include this UID: expunged meanwhile by someone else.
            log.info("mailbox %r: UID %s vanished before it was fetched", name, uid)
            return False
        reason = mail.problem or "the FETCH answer carried no message body"
        log.error("mailbox %r: UID %s (UIDVALIDITY %s) unreadable: %s; recorded in SHUNT", name, uid,
                  uidvalidity, reason)
        await self.quarantine(UnreadableMail(name, self.config.folder, uidvalidity, uid, reason))
        return False

    async def _store_and_publish(self, session: ImapSession,
                                 mails: list[FetchedMail]) -> dict[int, bool | BaseException]:
        stored = await asyncio.to_thread(self._store, session.uidvalidity, mails)
        ready = [(mail.uid, raw) for mail, raw in zip(mails, stored, strict=True) if isinstance(raw, RawSubmission)]
        published = await asyncio.gather(*(self.publish(raw) for _, raw in ready), return_exceptions=True)
        results: dict[int, bool | BaseException] = {
            mail.uid: raw for mail, raw in zip(mails, stored, strict=True) if isinstance(raw, BaseException)}
        for (uid, _), result in zip(ready, published, strict=True):
            results[uid] = result if isinstance(result, BaseException) else True
        return results

    def _store(self, uidvalidity: int, mails: list[FetchedMail]) -> list[RawSubmission | BaseException]:
        """In a worker thread: each mail's bytes into the blob store (fsynced) and its RawSubmission."""
        name, stored = self.config.name, list[RawSubmission | BaseException]()
        for mail in mails:
            assert mail.data is not None
            try:
                stored.append(store_mail(
                    self.blobs, mail.data, native_id=mail_native_id(name, uidvalidity, mail.uid),
                    received_at=arrival_time(mail.internal_date, datetime.now(UTC)),
                    origin={"mailbox": name, "uidvalidity": uidvalidity, "uid": mail.uid}))
            except Exception as exc:
                stored.append(exc)
        return stored


def arrival_time(internal_date: datetime | None, now: datetime) -> datetime:
    """When the mail reached the mailbox server (the clocks start there), never later than now: a server
    clock ahead of ours must not start them in the future."""
    if internal_date is None:
        return now
    return min(internal_date.astimezone(UTC), now)


__all__ = ["Backoff", "ImapUnavailable", "MailboxLoop", "UnreadableMail"]

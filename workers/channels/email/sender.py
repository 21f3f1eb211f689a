"""Email replies over SMTP (aiosmtplib): threaded, loop-proof, capped per address.

prepare (first transaction): where each reply goes (the Reply-To/From of the mail answered, or the
email of a client who prefers email), the per-address cap, the message itself with its
deterministic Message-ID "<outbox-<id>.<ticket>@<domain>>" (a resend after a crash carries the
same id). send (no transaction): one SMTP session for the batch; 4xx and connection trouble are
temporary (retried by the deliver worker with backoff), 5xx permanent. record (second
transaction): sent_messages (threading and bounces) and a history entry for a reply not sent.

No client-supplied text reaches a header unchecked: the address must pass a strict addr-spec
pattern, the subject is stripped of control characters and capped, References ids must be
well-formed msg-ids (Python 3.11.7 lacks the CVE-2024-6923 fix for header injection).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import policy as email_policy
from email.header import Header
from email.headerregistry import Address
from email.message import Message
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from typing import Any, cast

import aiosmtplib
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from channels.base import Channel
from channels.email.config import SmtpConfig
from normalizer.event import ReplyTarget
from router.contracts import OutboundKind
from router.directory import first_identities
from router.models import SentMessage, Submission
from router.route_lookup import submissions_with
from router.timeutil import utcnow
from workers.app.settings import Settings
from workers.channels.senders.base import DeliveryResult, PlatformSender, Reply, TemporaryFailure
from workers.channels.senders.history import history_row, write_history

log = logging.getLogger("complaints.senders.email")

CHANNEL = Channel.EMAIL
SUBJECT_MAX = 150  # of the original subject kept after "Re: [C-…] "
REFERENCES_MAX = 20
DETAIL_MAX = 1000
AUTOMATIC = frozenset({OutboundKind.ACKNOWLEDGEMENT.value, OutboundKind.FOLLOW_UP_RECEIVED.value})
COUNTED = ("sent", "bounced")  # replies that went out count towards the cap
DEFAULT_SUBJECT = "Ваша претензия"

# A plain dot-atom addr-spec, ASCII only: nothing quoted, no comments, no route, no IDN.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDRESS = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?"
                      rf"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{{0,61}}[A-Za-z0-9])?)+$")
# msg-id: "<" id-left "@" id-right ">", printable ASCII without brackets or blanks.
_MSG_ID = re.compile(r"^<[\x21-\x3b\x3d\x3f-\x7e]{1,250}@[\x21-\x3b\x3d\x3f-\x7e]{1,250}>$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_TAG = re.compile(r"\[\s*C-\d{4}-\d{6}\s*\]")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|fwd?|отв|ответ|на)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*)+", re.IGNORECASE)

SMTP_POLICY = email_policy.compat32.clone(linesep="\r\n")  # see build_message


def valid_address(text: str | None) -> str | None:
    """The address if it is a plain, unambiguous addr-spec; None otherwise (never "fixed")."""
    if not text or len(text) > 254 or not _ADDRESS.match(text):
        return None
    local, domain = text.rsplit("@", 1)
    if len(local) > 64:
        return None
    address = Address(addr_spec=text)
    return text if address.addr_spec == text and address.domain == domain else None


def valid_message_id(text: str | None) -> str | None:
    return text if text and _MSG_ID.match(text) else None


def clean_subject(text: str | None) -> str:
    """The client's subject without control characters, reply prefixes or ticket tags, capped."""
    subject = _CONTROL.sub(" ", text or "")
    subject = _TAG.sub(" ", subject)
    subject = _REPLY_PREFIX.sub("", subject)
    subject = " ".join(subject.split())
    return subject[:SUBJECT_MAX].rstrip()


def reply_subject(ticket_number: str, original: str | None, is_reply: bool) -> str:
    rest = clean_subject(original) or DEFAULT_SUBJECT
    return f"{'Re: ' if is_reply else ''}[{ticket_number}] {rest}"


def references(target: ReplyTarget | None) -> list[str]:
    """The incoming References plus its Message-ID, each a valid msg-id, once, capped (first + latest)."""
    if target is None:
        return []
    refs: list[str] = []
    for ref in [*target.references, target.message_id]:
        valid = valid_message_id(ref)
        if valid and valid not in refs:
            refs.append(valid)
    if len(refs) > REFERENCES_MAX:
        refs = [refs[0], *refs[-(REFERENCES_MAX - 1):]]
    return refs


def message_id_domain(config: SmtpConfig) -> str:
    return config.message_id_domain or config.from_address.rsplit("@", 1)[-1]


def our_message_id(outbox_id: int, ticket_number: str, domain: str) -> str:
    return f"<outbox-{outbox_id}.{ticket_number}@{domain}>"


def _encoded(name: str, text: str) -> str | Header:
    """RFC 2047 words for non-ASCII text (cut at character boundaries, folded with the header's name)."""
    return text if text.isascii() else Header(text, "utf-8", header_name=name)


def _mailbox(name: str, display_name: str, address: str) -> str | Header:
    if display_name.isascii():
        return formataddr((_CONTROL.sub(" ", display_name), address))
    header = Header(display_name, "utf-8", header_name=name)
    header.append(f"<{address}>", "us-ascii")
    return header


def build_message(
    config: SmtpConfig, reply: Reply, address: str, target: ReplyTarget | None, subject: str, now: datetime
) -> Message:
    """The reply as a MIME message: every header value is ours or has been checked.

    Built with the compat32 API (MIMEText, Header): the policy.SMTP folder of Python 3.11 drops the
    space at a fold between two Cyrillic words of a long subject, and splits display names inside
    a word; Header encodes whole words, and the text is base64 in UTF-8.
    """
    message = reply.message
    msg = MIMEText(message.text, "plain", "utf-8")
    # compat32 headers take Header objects too (typeshed says str only).
    msg["From"] = cast(str, _mailbox("From", config.from_name, config.from_address))
    msg["To"] = address
    msg["Subject"] = cast(str, _encoded("Subject", subject))
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = our_message_id(message.outbox_id, message.ticket_number, message_id_domain(config))
    in_reply_to = valid_message_id(target.message_id) if target else None
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    refs = references(target)
    if refs:
        msg["References"] = " ".join(refs)
    if message.kind in AUTOMATIC:
        msg["Auto-Submitted"] = "auto-replied"  # RFC 3834: robots must not answer this
    return msg


@dataclass
class EmailOutgoing:
    """One reply as prepared: the message to send, or why it is not sent (decided)."""

    reply: Reply
    address: str | None
    message: Message | None = None
    decided: DeliveryResult | None = None
    subject: str | None = None

    @property
    def message_id(self) -> str | None:
        return str(self.message["Message-ID"]) if self.message is not None else None


@dataclass(frozen=True)
class Answered:
    target: ReplyTarget | None
    subject: str | None


def _answered(session: Session, replies: Sequence[Reply]) -> dict[tuple[str, str], Answered]:
    """The submissions answered (one query): their reply target and subject, by (channel, native id)."""
    keys = {(r.message.channel, r.message.in_reply_to) for r in replies if r.message.in_reply_to is not None}
    if not keys:
        return {}
    rows = session.execute(
        select(Submission.channel, Submission.native_id, Submission.event["reply_to"],
               Submission.event["subject"].as_string())
        .where(submissions_with(keys))
    )
    answered: dict[tuple[str, str], Answered] = {}
    for channel, native_id, target, subject in rows:
        answered[(channel, native_id)] = Answered(ReplyTarget.model_validate(target) if target else None, subject)
    return answered


def _sent_today(session: Session, addresses: set[str], now: datetime) -> dict[str, int]:
    """Automatic replies that went to each address in the last 24 hours (one query)."""
    if not addresses:
        return {}
    rows = session.execute(
        select(SentMessage.address, func.count())
        .where(SentMessage.address.in_(addresses), SentMessage.sent_at >= now - timedelta(days=1),
               SentMessage.status.in_(COUNTED), SentMessage.kind.in_(AUTOMATIC))
        .group_by(SentMessage.address)
    )
    return {address: int(count) for address, count in rows}


def _smtp_detail(code: int, text: str) -> str:
    return f"{code} {' '.join(text.split())}"[:DETAIL_MAX]


class EmailSender:
    resend_safe = True  # see PlatformSender.resend_safe
    channel = CHANNEL

    def __init__(self, config: SmtpConfig, cap_per_day: int) -> None:
        self.config = config
        self.cap_per_day = cap_per_day

    # --- first transaction

    def prepare(self, session: Session, replies: Sequence[Reply]) -> list[EmailOutgoing | None]:
        now = utcnow()
        answered = _answered(session, replies)
        emails = first_identities(session, {r.client.id for r in replies
                                          if r.client is not None and r.message.channel != CHANNEL}, "email")
        raw: list[tuple[Reply, str | None, Answered | None]] = []
        for reply in replies:
            message = reply.message
            found = answered.get((message.channel, message.in_reply_to)) if message.in_reply_to else None
            if message.channel == CHANNEL:
                address = found.target.address if found and found.target else None
            else:  # a phone or web client who prefers email
                address = emails.get(reply.client.id) if reply.client else None
            raw.append((reply, address, found))
        counts = _sent_today(session, {a for _, a, _ in raw if a and valid_address(a)}, now)
        return [self._outgoing(reply, address, found, counts, now) for reply, address, found in raw]

    def _outgoing(self, reply: Reply, address: str | None, found: Answered | None, counts: dict[str, int],
                  now: datetime) -> EmailOutgoing | None:
        if address is None:
            return None  # nowhere to write: the deliver worker falls back to a call-back
        checked = valid_address(address)
        if checked is None:
            return EmailOutgoing(reply, None, decided=DeliveryResult(
                "failed", CHANNEL, None, "некорректный адрес электронной почты: ответ не отправлен"))
        if reply.message.kind in AUTOMATIC:
            if counts.get(checked, 0) >= self.cap_per_day:
                return EmailOutgoing(reply, checked, decided=DeliveryResult(
                    "suppressed", CHANNEL, checked,
                    f"не отправлено: превышен лимит автоматических ответов на адрес ({self.cap_per_day} в сутки)"))
            counts[checked] = counts.get(checked, 0) + 1
        is_email = reply.message.channel == CHANNEL
        target = found.target if found and is_email else None
        original = (target.subject if target else None) or (found.subject if found else None)
        subject = reply_subject(reply.message.ticket_number, original, is_reply=target is not None)
        return EmailOutgoing(reply, checked, build_message(self.config, reply, checked, target, subject, now),
                        subject=subject)

    # --- no transaction

    async def send(self, prepared: Sequence[EmailOutgoing]) -> list[DeliveryResult | TemporaryFailure]:
        results: list[DeliveryResult | TemporaryFailure | None] = [p.decided for p in prepared]
        pending = [i for i, p in enumerate(prepared) if p.decided is None]
        if pending:
            await self._send_pending(prepared, pending, results)
        assert all(r is not None for r in results)
        return cast(list[DeliveryResult | TemporaryFailure], results)

    def _client(self) -> aiosmtplib.SMTP:
        c = self.config
        return aiosmtplib.SMTP(
            hostname=c.host, port=c.port, use_tls=c.use_tls, start_tls=c.start_tls, timeout=c.timeout,
            username=c.username, password=c.password.get_secret_value() if c.password else None,
        )

    async def _send_pending(self, prepared: Sequence[EmailOutgoing], pending: list[int],
                            results: list[DeliveryResult | TemporaryFailure | None]) -> None:
        smtp = self._client()
        try:
            await smtp.connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            log.warning("email: SMTP relay unavailable (%s)", type(exc).__name__)
            for i in pending:
                results[i] = TemporaryFailure(f"SMTP: {type(exc).__name__}: {exc}")
            return
        try:
            for position, i in enumerate(pending):
                try:
                    results[i] = await self._send_one(smtp, prepared[i])
                except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as exc:
                    # The session is gone: this reply and the rest of the batch are retried later.
                    for j in pending[position:]:
                        results[j] = TemporaryFailure(f"SMTP: {type(exc).__name__}: {exc}")
                    return
        finally:
            if smtp.is_connected:
                try:
                    await smtp.quit()
                except (aiosmtplib.SMTPException, OSError):
                    smtp.close()

    async def _send_one(self, smtp: aiosmtplib.SMTP, item: EmailOutgoing) -> DeliveryResult | TemporaryFailure:
        assert item.message is not None and item.address is not None
        try:
            _, response = await smtp.sendmail(self.config.from_address, [item.address],
                                              item.message.as_bytes(policy=SMTP_POLICY))
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return self._refused(item, refused.code, refused.message)
        except (aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPAuthenticationError) as exc:
            # Our own account or sender is refused: not this reply's fault, retry (then shunt).
            return TemporaryFailure(f"SMTP: {_smtp_detail(exc.code, exc.message)}")
        except aiosmtplib.SMTPResponseException as exc:
            return self._refused(item, exc.code, exc.message)
        return DeliveryResult("sent", CHANNEL, item.address, response[:DETAIL_MAX] if response else None)

    @staticmethod
    def _refused(item: EmailOutgoing, code: int, text: str) -> DeliveryResult | TemporaryFailure:
        detail = _smtp_detail(code, text)
        if 400 <= code < 500:
            return TemporaryFailure(f"SMTP: {detail}")
        return DeliveryResult("failed", CHANNEL, item.address, f"сервер отклонил письмо: {detail}")

    # --- second transaction

    @staticmethod
    def _subject_of(item: EmailOutgoing) -> str | None:
        return item.subject[:300] if item.subject else None

    def record(self, session: Session, prepared: Sequence[EmailOutgoing], results: Sequence[DeliveryResult]) -> None:
        now = utcnow()
        sent: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        for item, result in zip(prepared, results, strict=True):
            message = item.reply.message
            if item.message is not None and item.address is not None:  # it went to the SMTP relay
                sent.append({
                    "message_id": item.message_id, "ticket_id": item.reply.ticket_id, "outbox_id": message.outbox_id,
                    "channel": CHANNEL, "kind": message.kind.value, "address": item.address,
                    "subject": self._subject_of(item), "sent_at": now,
                    "status": "sent" if result.status == "sent" else "failed", "detail": result.detail,
                })
            if result.status != "sent":
                history.append(history_row(item.reply.ticket_id, now, "reply_not_sent",
                                           f"Ответ клиенту по электронной почте не отправлен: {result.detail}"))
        if sent:
            session.execute(insert(cast(Table, SentMessage.__table__)), sent)
        write_history(session, history)


def from_settings(settings: Settings) -> PlatformSender[Any] | None:
    """The sender when an SMTP relay is configured, else None (no email replies)."""
    if settings.smtp is None:
        return None
    return EmailSender(settings.smtp, settings.email_reply_cap_per_day)

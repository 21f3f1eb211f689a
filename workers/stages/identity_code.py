"""The one-time code of an identity claim (router.identity_claims), mailed to the claimed client's registered
email. Part of the deliver worker: the router puts an IdentityCodeMail on outbound.identity_code (a message to
the client, on the OUTBOUND stream), and deliver_messages hands it here.

The code is made here, right before it is mailed: plan (one transaction) makes a fresh code and stores only its
hash and expiry on the claim; send (no transaction) mails it through the SMTP relay of the email sender; record
(a second transaction) writes the delivery (idempotent on the outbox id) and a history entry without the code.
The code never reaches the outbox, the bus, the chat or a log line. A resend after a crash makes a new code
(only the newest mail counts). Without SMTP, or without an email on the client, nothing is mailed and the
ticket's history tells staff to check the claim by hand.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from nats.aio.msg import Msg
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.email.config import SmtpConfig
from router.directory import first_identities
from router.identity_claims import CODE_TTL, CodeToMail, IdentityCodeMail, issue_code
from router.models import Delivery, IdentityClaim, Ticket, TicketHistory
from router.texts import CODE_MAIL_SUBJECT, code_mail
from router.timeutil import utcnow
from workers.app.labels import CHANNEL_TITLES
from workers.app.runtime import Database
from workers.bus.reliability import Settler
from workers.channels.email.sender import valid_address
from workers.channels.senders.selection import Senders
from workers.stages.notify import send_notice

log = logging.getLogger("complaints.deliver")

CHANNEL = "email"
ACTOR = "system:deliver"
CODE_SENT = "identity_code_sent"
CODE_NOT_SENT = "identity_code_not_sent"
NOT_SENT = "not_sent"  # the delivery's status: no code mailed (no SMTP, no address, the claim closed)
SENT_NOTE = "Код подтверждения личности отправлен на адрес электронной почты клиента из договора."
NOT_SENT_NOTE = "Код подтверждения личности не отправлен ({reason}): подтвердите или отклоните личность вручную."


@dataclass(frozen=True)
class Planned:
    done: bool  # already recorded (a redelivery)
    ticket_id: int | None
    mail: CodeToMail | None = None
    reason: str | None = None


def smtp_of(senders: Senders) -> SmtpConfig | None:
    """The SMTP relay the email replies go through (None: email is not configured)."""
    config = getattr(senders.platform.get(CHANNEL), "config", None)
    return config if isinstance(config, SmtpConfig) else None


def _plan(session: Session, request: IdentityCodeMail, configured: bool) -> Planned:
    if session.scalar(select(Delivery.id).where(Delivery.outbox_id == request.outbox_id)) is not None:
        return Planned(True, None)
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.number == request.ticket_number))
    if not configured:
        return Planned(False, ticket_id, reason="электронная почта не настроена")
    client_id = session.scalar(select(IdentityClaim.client_id).where(IdentityClaim.key == request.claim))
    emails = first_identities(session, {client_id}, "email") if client_id is not None else {}
    checked = {cid: address for cid, value in emails.items() if (address := valid_address(value))}
    issued = issue_code(session, request.claim, utcnow(), checked)
    if isinstance(issued, str):
        return Planned(False, ticket_id, reason=issued)
    return Planned(False, issued.ticket_id, mail=issued)


def _record(session: Session, request: IdentityCodeMail, ticket_id: int | None, status: str, address: str | None,
            detail: str, note: str) -> None:
    if session.scalar(select(Delivery.id).where(Delivery.outbox_id == request.outbox_id)) is not None:
        return  # recorded meanwhile by a redelivered copy
    now = utcnow()
    session.add(Delivery(outbox_id=request.outbox_id, ticket_id=ticket_id, channel=CHANNEL, address=address,
                         status=status, at=now, detail=detail))
    if ticket_id is not None:
        session.add(TicketHistory(ticket_id=ticket_id, at=now, actor=ACTOR,
                                  action=CODE_SENT if status == "sent" else CODE_NOT_SENT, note=note))


def build_code_mail(config: SmtpConfig, request: IdentityCodeMail, mail: CodeToMail) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = CODE_MAIL_SUBJECT
    message["From"] = Address(config.from_name, addr_spec=config.from_address)
    message["To"] = mail.address
    message["Date"] = format_datetime(utcnow())
    domain = config.message_id_domain or config.from_address.rsplit("@", 1)[-1]
    message["Message-ID"] = make_msgid(f"code-{request.outbox_id}", domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    platform = CHANNEL_TITLES.get(mail.account[0], mail.account[0])
    message.set_content(code_mail(mail.code, platform, mail.account[1], int(CODE_TTL.total_seconds() // 60)))
    return message


async def mail_code(msg: Msg, database: Database, senders: Senders, settler: Settler) -> str:
    """One IdentityCodeMail: plan, mail, record, settle; returns the status recorded (or retry)."""
    try:
        request = IdentityCodeMail.model_validate_json(msg.data)
    except ValidationError as exc:
        await settler.failed(msg, exc)
        return "retry"
    config = smtp_of(senders)
    try:
        return await _mail(msg, request, database, config)
    except Exception as exc:  # temporary (SMTP 4xx, connection, the store): retried with backoff, then shunted
        log.warning("deliver: identity code of outbox %d not mailed: %s", request.outbox_id, type(exc).__name__)
        await settler.failed(msg, exc)
        return "retry"


async def _mail(msg: Msg, request: IdentityCodeMail, database: Database, config: SmtpConfig | None) -> str:
    planned = await database.run_transaction(lambda s: _plan(s, request, config is not None))
    if planned.done:
        await msg.ack()
        return "duplicate"
    if planned.mail is None or config is None:
        reason = planned.reason or "нет адреса"
        await database.run_transaction(lambda s: _record(
            s, request, planned.ticket_id, NOT_SENT, None, reason, NOT_SENT_NOTE.format(reason=reason)))
        await msg.ack()
        return NOT_SENT
    mail = planned.mail
    refused = await send_notice(config, build_code_mail(config, request, mail))
    status, detail = ("failed", refused) if refused else ("sent", "код подтверждения отправлен")
    note = SENT_NOTE if refused is None else NOT_SENT_NOTE.format(reason=refused)
    await database.run_transaction(lambda s: _record(s, request, mail.ticket_id, status, mail.address, detail, note))
    await msg.ack()
    return status

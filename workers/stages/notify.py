"""Worker `notify`: a staff alert (StaffNotice, written with the alert in one transaction) also goes to the
staff member by email when SMTP is configured. Idempotent on the outbox id (a deliveries row, channel
"staff_email"): a redelivered notice is not mailed twice.

Without SMTP, or without an email on the staff record, the notice is recorded as not sent with the reason:
the in-app alert on the start page is the one that counts then. An SMTP 4xx or a broken connection is
retried with backoff (then shunted); a refused address is recorded as failed.
"""

from __future__ import annotations

import logging
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib
from faststream.nats import NatsBroker, NatsMessage
from nats.aio.msg import Msg
from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.email.config import SmtpConfig
from router.contracts import StaffNotice
from router.models import Delivery, Staff, Ticket
from router.outbox import NOTICES_SUBJECT
from router.timeutil import utcnow
from workers.app.runtime import Database, Runtime
from workers.bus.consumers import ConsumerSpec, batch_subscriber
from workers.bus.reliability import Settler
from workers.bus.shunt import jetstream_of
from workers.channels.email.sender import valid_address

log = logging.getLogger("complaints.notify")

STAGE = "notify"
SPEC = ConsumerSpec(durable="notify", stream="NOTICES", subject=NOTICES_SUBJECT)
BATCH = 64
CHANNEL = "staff_email"
KIND_TITLES = {
    "dispute": "Оспаривание решения",
    "approval_needed": "Решение ждёт согласования",
    "reply_bounced": "Ответ клиенту не доставлен",
    "sla_warning": "Приближается срок",
    "sla_escalation": "Нарушен срок",
}


class NoticeUnavailable(RuntimeError):
    """Temporary: the SMTP relay did not take the mail now; retry later."""


def _address(session: Session, notice: StaffNotice) -> tuple[bool, str | None, str | None]:
    """(already handled, the staff member's email, the ticket id)."""
    if session.scalar(select(Delivery.id).where(Delivery.outbox_id == notice.outbox_id)) is not None:
        return True, None, None
    email = session.scalar(select(Staff.email).where(Staff.login == notice.login, Staff.active.is_(True)))
    return False, valid_address(email), None


def _record(session: Session, notice: StaffNotice, status: str, address: str | None, detail: str) -> None:
    if session.scalar(select(Delivery.id).where(Delivery.outbox_id == notice.outbox_id)) is not None:
        return  # recorded meanwhile by a redelivered copy
    ticket_id = (session.scalar(select(Ticket.id).where(Ticket.number == notice.ticket_number))
                 if notice.ticket_number else None)
    session.add(Delivery(outbox_id=notice.outbox_id, ticket_id=ticket_id, channel=CHANNEL, address=address,
                         status=status, at=utcnow(), detail=detail))


def build_mail(config: SmtpConfig, notice: StaffNotice, address: str) -> EmailMessage:
    mail = EmailMessage()
    title = KIND_TITLES.get(notice.kind, "Уведомление")
    mail["Subject"] = f"{title}: {notice.ticket_number}" if notice.ticket_number else title
    mail["From"] = Address(config.from_name, addr_spec=config.from_address)
    mail["To"] = address
    mail["Date"] = format_datetime(utcnow())
    mail["Message-ID"] = make_msgid(f"notice-{notice.outbox_id}", domain=config.message_id_domain)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    mail.set_content(f"{notice.text}\n\nОткройте претензию в системе приёма претензий.\n")
    return mail


async def send_notice(config: SmtpConfig, mail: EmailMessage) -> str | None:
    """None when sent; the reason when the relay refused the address for good."""
    c = config
    try:
        await aiosmtplib.send(
            mail, hostname=c.host, port=c.port, use_tls=c.use_tls, start_tls=c.start_tls, timeout=c.timeout,
            username=c.username, password=c.password.get_secret_value() if c.password else None,
        )
    except aiosmtplib.SMTPRecipientsRefused as exc:
        code = exc.recipients[0].code if exc.recipients else 550
        if code < 500:  # 4xx: the relay cannot take it now
            raise NoticeUnavailable(f"SMTP {code}") from exc
        return f"адрес отклонён сервером (SMTP {code})"
    except aiosmtplib.SMTPResponseException as exc:
        if exc.code >= 500:
            return f"SMTP {exc.code}"
        raise NoticeUnavailable(f"SMTP {exc.code}") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise NoticeUnavailable(type(exc).__name__) from exc
    return None


async def handle(notice: StaffNotice, database: Database, config: SmtpConfig | None) -> str:
    """Mail one notice (or record why not); returns the status recorded."""
    done, address, _ = await database.run_transaction(lambda s: _address(s, notice))
    if done:
        return "duplicate"
    if config is None:
        status, detail = "suppressed", "SMTP не настроен: уведомление только в системе"
    elif address is None:
        status, detail = "suppressed", "у сотрудника нет адреса электронной почты"
    else:
        refused = await send_notice(config, build_mail(config, notice, address))
        status, detail = ("failed", refused) if refused else ("sent", "уведомление отправлено по почте")
    await database.run_transaction(lambda s: _record(s, notice, status, address, detail))
    return status


def register(broker: NatsBroker, runtime: Runtime, database: Database) -> None:
    settings = runtime.settings

    @batch_subscriber(broker, SPEC, runtime.streams.notices, settings, BATCH, "StaffNotice -> email to staff")
    async def notify_staff(bodies: list[bytes], msg: NatsMessage) -> None:
        messages: list[Msg] = msg.raw_message  # type: ignore[assignment]
        settler = Settler(STAGE, settings, jetstream_of(broker))
        for message in messages:
            try:
                await handle(StaffNotice.model_validate_json(message.data), database, settings.smtp)
            except Exception as exc:  # temporary: retried with backoff; permanent (bad JSON): shunted
                await settler.failed(message, exc)
            else:
                await message.ack()

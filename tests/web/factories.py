"""Rows the web tests need, written straight into the real (migrated) database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from router.models import CallbackTask, Client, ClientIdentity, Staff, Submission, Ticket, TicketHistory
from router.passwords import hash_password
from workers.app.runtime import Database

REGISTERED_AT = datetime(2025, 11, 5, 7, 30, tzinfo=UTC)  # 10:30 in Moscow


async def add_staff(
    database: Database, login: str, password: str = "secret-pass", *, role: str = "operator",
    department: str = "subscriber", active: bool = True, name: str | None = None,
) -> Staff:
    staff = Staff(
        login=login, name=name or f"Сотрудник {login}", role=role, department=department,
        active=active, password_hash=hash_password(password),
    )
    async with database.sessions() as session, session.begin():
        session.add(staff)
    return staff


async def add_client(
    database: Database, contract: str, name: str, *, segment: str = "individual",
    building_type: str | None = "apartment", packages: list[str] | None = None,
    phones: tuple[str, ...] = (), emails: tuple[str, ...] = (), manager_login: str | None = None,
    account: str | None = None,
) -> Client:
    client = Client(
        contract_number=contract, account_number=account, name=name, segment=segment,
        building_type=building_type, packages=packages or [], manager_login=manager_login,
        address="г. Москва, ул. Примерная, д. 1",
    )
    async with database.sessions() as session, session.begin():
        session.add(client)
        await session.flush()
        session.add(ClientIdentity(client_id=client.id, kind="contract", value=contract))
        if account:
            session.add(ClientIdentity(client_id=client.id, kind="account", value=account))
        for phone in phones:
            session.add(ClientIdentity(client_id=client.id, kind="phone", value=phone))
        for email in emails:
            session.add(ClientIdentity(client_id=client.id, kind="email", value=email))
    return client


async def add_ticket(
    database: Database, number: str, *, client_id: int | None, assignee: str | None, channel: str = "web",
    status: str = "open", text: str = "Третий день нет интернета", created_at: datetime = REGISTERED_AT,
    submission_id: str | None = None, native_id: str | None = None,
) -> Ticket:
    """A ticket as the router would leave it: the row, its first history entry, optionally its submission."""
    ticket = Ticket(
        number=number, client_id=client_id, assignee_login=assignee, queue="subscriber", stage="registered",
        status=status, channel=channel, subject="Нет интернета", text=text, category="connection",
        created_at=created_at, first_response_due=created_at + timedelta(hours=8),
        resolution_due=created_at + timedelta(days=7), legal_due=created_at + timedelta(days=60),
    )
    async with database.sessions() as session, session.begin():
        session.add(ticket)
        await session.flush()
        session.add(TicketHistory(
            ticket_id=ticket.id, at=created_at, actor=f"channel:{channel}", action="registered",
            from_stage=None, to_stage="registered", note="Назначено: персональный менеджер",
            submission_id=submission_id,
        ))
        if submission_id is not None:
            session.add(Submission(
                id=submission_id, channel=channel, native_id=native_id or submission_id, received_at=created_at,
                routed_at=created_at, ticket_id=ticket.id, client_id=client_id, event={},
            ))
    return ticket


async def add_callback(database: Database, ticket_id: int, outbox_id: int, phone: str = "+79161234567") -> CallbackTask:
    task = CallbackTask(
        ticket_id=ticket_id, created_at=REGISTERED_AT, phone=phone, outbox_id=outbox_id,
        message="Ваша претензия зарегистрирована. Срок рассмотрения — 5 рабочих дней.",
    )
    async with database.sessions() as session, session.begin():
        session.add(task)
    return task


# The review process (router/review): a staff directory with every role, and tickets at any stage.

REVIEW_STAFF: tuple[tuple[str, str, str, str, str | None, bool], ...] = (
    # login, name, role, department, deputy, active
    ("m.petrova", "Петрова Мария Ивановна", "manager", "subscriber", "m.volkov", True),
    ("m.volkov", "Волков Андрей Петрович", "manager", "subscriber", None, True),
    ("m.gone", "Гонцова Ольга Сергеевна", "manager", "subscriber", "m.volkov", False),
    ("op.anna", "Анна Операторова", "operator", "call_centre", None, True),
    ("h.subscriber", "Орлова Наталья Геннадьевна", "subscriber_head", "subscriber", None, True),
    ("h.technical", "Волков Сергей Николаевич", "department_head", "technical", None, True),
    ("h.billing", "Морозова Елена Викторовна", "department_head", "billing", None, True),
    ("d.director", "Белов Игорь Петрович", "director", "management", None, True),
    ("a.admin", "Админов Админ", "admin", "it", None, True),
)


def seed_review_staff(session: Session) -> None:
    session.add_all([
        Staff(login=login, name=name, role=role, department=department, deputy_login=deputy, active=active)
        for login, name, role, department, deputy, active in REVIEW_STAFF
    ])


def seed_review_client(session: Session, contract: str = "12-000001", name: str = "Иванов Иван Иванович",
                       segment: str = "individual", manager_login: str | None = "m.petrova") -> Client:
    client = Client(contract_number=contract, name=name, segment=segment, packages=[], manager_login=manager_login)
    session.add(client)
    session.flush()
    return client


def seed_review_ticket(
    session: Session, number: str, *, client_id: int | None, assignee: str | None, stage: str | None = None,
    status: str = "open", channel: str = "email", native_id: str | None = None, **review: object,
) -> Ticket:
    """A ticket at any stage of the review (its review columns as keyword arguments), with the submission
    it was made from (the reply target of the answers). By default as routing leaves it: with a manager at
    primary review, in the queue registered."""
    stage = stage or ("primary_review" if assignee else "registered")
    ticket = Ticket(
        number=number, client_id=client_id, assignee_login=assignee, queue="subscriber", stage=stage,
        status=status, channel=channel, subject="Нет интернета", text="Третий день нет интернета",
        category="connection", created_at=REGISTERED_AT, first_response_due=REGISTERED_AT + timedelta(hours=8),
        resolution_due=REGISTERED_AT + timedelta(days=7), legal_due=REGISTERED_AT + timedelta(days=60), **review,
    )
    session.add(ticket)
    session.flush()
    session.add(Submission(
        id=str(uuid.uuid4()), channel=channel, native_id=native_id or f"native-{number}", received_at=REGISTERED_AT,
        routed_at=REGISTERED_AT, ticket_id=ticket.id, client_id=client_id, event={},
    ))
    return ticket

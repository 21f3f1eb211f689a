"""Record access for the staff pages (router.review.can_view), read asynchronously, and the directory's
names for showing people and departments instead of codes."""

from __future__ import annotations

import re

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Staff, Ticket
from router.review import TicketFacts, can_view
from router.review.facts import load_facts
from workers.app import labels
from workers.web.errors import PageError

SERVING_CLIENT = "serving_client"  # the client whose card an operator has open in the phone flow


def serving_client(request: Request) -> int | None:
    value = request.session.get(SERVING_CLIENT)
    return value if isinstance(value, int) else None


def serve_client(request: Request, client_id: int) -> None:
    request.session[SERVING_CLIENT] = client_id


async def facts_of(session: AsyncSession, ticket: Ticket) -> TicketFacts:
    return await session.run_sync(lambda sync: load_facts(sync, ticket))


async def require_view(request: Request, session: AsyncSession, staff: Staff, ticket: Ticket) -> TicketFacts:
    facts = await facts_of(session, ticket)
    if not can_view(staff, ticket, facts, serving_client(request)):
        raise PageError(403, f"У вас нет доступа к претензии {ticket.number}.")
    return facts


async def directory(session: AsyncSession) -> dict[str, Staff]:
    return {s.login: s for s in await session.scalars(select(Staff))}


def humanize(note: str | None, people: dict[str, Staff]) -> str:
    """A history note without logins or department codes: names and titles instead."""
    if not note:
        return ""
    for login, person in people.items():
        note = note.replace(f" ({login})", "")
        note = re.sub(rf"(?<![\w.@-]){re.escape(login)}(?![\w@-])", person.name, note)
    for code, title in labels.QUEUE_TITLES.items():
        note = re.sub(rf"\b(отдел[еа]?) {re.escape(code)}\b", rf"\1 «{title}»", note)
    return note

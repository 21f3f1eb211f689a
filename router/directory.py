"""Client and staff directory: resolve a client from any identity it is known by.

The core is synchronous (the routing transaction runs in one thread hop per batch); the async
wrappers serve the web pages and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from normalizer.event import Identities
from normalizer.invisible import strip_invisible
from normalizer.phones import to_e164
from router.models import Client, ClientIdentity, Staff


def identity_pairs(identities: Identities) -> list[tuple[str, str]]:
    """(kind, value) of every identity, most specific first (Identities.KINDS); zero-width and bidi control
    characters are never part of an identifier (an event normalised before they were stripped still matches)."""
    plain = ((kind, strip_invisible(value).strip()) for kind, value in identities.pairs())
    return list(dict.fromkeys((kind, value) for kind, value in plain if value))


def find_client_by_identities(session: Session, identities: Identities) -> Client | None:
    if identities.client_id is not None:
        client = session.get(Client, identities.client_id)
        if client is not None:
            return client
    pairs = identity_pairs(identities)
    if not pairs:
        return None
    rows = session.execute(
        select(ClientIdentity.kind, ClientIdentity.value, ClientIdentity.client_id).where(
            ClientIdentity.value.in_({value for _, value in pairs})
        )
    ).all()
    found = {(kind, value): client_id for kind, value, client_id in rows}
    for pair in pairs:
        if pair in found:
            return session.get(Client, found[pair])
    return None


async def resolve_client(session: AsyncSession, identities: Identities) -> Client | None:
    return await session.run_sync(find_client_by_identities, identities)


async def find_clients(session: AsyncSession, query: str, limit: int = 20) -> list[Client]:
    """Operator search: by phone (any format), contract or account number, or part of the name."""
    query = strip_invisible(query).strip()
    if not query:
        return []
    # Emails are kept in lower case, contract and account numbers as the directory writes them (upper case).
    values = {query, query.lower(), query.upper()}
    e164 = to_e164(query)
    if e164:
        values.add(e164)
    ids = select(ClientIdentity.client_id).where(ClientIdentity.value.in_(values))
    stmt = (
        select(Client)
        .where(Client.id.in_(ids) | Client.name.icontains(query, autoescape=True))
        .order_by(Client.name)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def staff_by_login(session: AsyncSession, logins: Iterable[str]) -> dict[str, Staff]:
    wanted = {login for login in logins if login}
    if not wanted:
        return {}
    rows = await session.scalars(select(Staff).where(Staff.login.in_(wanted)))
    return {s.login: s for s in rows}


def first_identities(session: Session, client_ids: set[int], kind: str) -> dict[int, str]:
    """Each client's first identity of `kind` on record (lowest identity id), in one query for all."""
    if not client_ids:
        return {}
    rows = session.execute(
        select(ClientIdentity.client_id, ClientIdentity.value)
        .where(ClientIdentity.client_id.in_(client_ids), ClientIdentity.kind == kind)
        .order_by(ClientIdentity.id)
    )
    first: dict[int, str] = {}
    for client_id, value in rows:
        first.setdefault(client_id, value)
    return first

"""The ticket card's own lists: the conversation (the latest SHOWN_ROWS messages unless the reader asks for
every one), every internal note, and every stage the ticket has been in.

A client may write to one ticket thousands of times (a chat flood threads into the open ticket): 10,000
follow-ups made a 15 MB card that took 2.3 s to build, every time a manager opened it. The card shows the
latest rows of each list (workers/web/latest_rows.py) and says how many there are; `?all=1` shows all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from router.models import Outbox, Submission, Ticket, TicketHistory
from router.outbox import TO_CLIENT
from router.timeutil import aware
from workers.web.latest_rows import SHOWN_ROWS, Shown, latest


@dataclass(frozen=True)
class Message:
    at: datetime
    ours: bool
    channel: str
    text: str


async def comments(session: AsyncSession, ticket_id: int) -> list[TicketHistory]:
    """Every internal note: staff write them, a client's flood does not."""
    notes = await latest(session, TicketHistory, ticket_id, TicketHistory.at, TicketHistory.id, every=True,
                         where=TicketHistory.action == "comment")
    return notes.rows


async def stages_seen(session: AsyncSession, ticket_id: int) -> set[str]:
    """Every stage the ticket has been in, by its whole history."""
    pairs = await session.execute(select(TicketHistory.from_stage, TicketHistory.to_stage).where(
        TicketHistory.ticket_id == ticket_id).distinct())
    return {stage for pair in pairs for stage in pair if stage}


async def conversation(session: AsyncSession, ticket: Ticket, *, every: bool) -> Shown[Message]:
    """The client's submissions and our messages to them, in order."""
    received = await latest(session, Submission, ticket.id, Submission.received_at, Submission.id, every=every)
    answered = await latest(session, Outbox, ticket.id, Outbox.created_at, Outbox.id, every=every,
                            where=TO_CLIENT)
    found = [Message(aware(s.received_at), False, s.channel, str((s.event or {}).get("text") or ticket.text))
             for s in received.rows]
    found += [Message(aware(row.created_at), True, str((row.payload or {}).get("channel") or ticket.channel),
                      str(row.payload["text"])) for row in answered.rows if (row.payload or {}).get("text")]
    found.sort(key=lambda m: m.at)
    if not found:
        found.append(Message(aware(ticket.created_at), False, ticket.channel, ticket.text))
    if every:
        return Shown(found)
    # No total: an answer without text (a notice) is not a message, and counting those would read every payload.
    return Shown(found[-SHOWN_ROWS:], received.cut or answered.cut or len(found) > SHOWN_ROWS)

"""What the platform senders write on a ticket when a reply did not go out (its history, for the manager)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from router.models import TicketHistory
from router.timeutil import utcnow

ACTOR = "system:deliver"


def history_row(ticket_id: int, at: datetime, action: str, note: str) -> dict[str, Any]:
    return {"ticket_id": ticket_id, "at": at, "actor": ACTOR, "action": action, "from_stage": None,
            "to_stage": None, "submission_id": None, "note": note}


def write_history(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(cast(Table, TicketHistory.__table__)), rows)


def record_not_sent(session: Session, failures: Iterable[tuple[int, str | None]], where: str) -> None:
    """One "reply not sent" entry per (ticket id, reason); `where` names the channel in Russian."""
    now = utcnow()
    write_history(session, [
        history_row(ticket_id, now, "reply_not_sent", f"Ответ клиенту {where} не отправлен: {detail}")
        for ticket_id, detail in failures
    ])

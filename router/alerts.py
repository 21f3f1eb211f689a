"""A staff alert: the in-app row (staff_alerts) and its notice for the notify worker (email when SMTP is
configured), written together in the caller's transaction."""

from __future__ import annotations

from router.contracts import StaffNotice
from router.outbox import OUTBOX_ID_BY_RELAY


def staff_notice(login: str, kind: str, ticket_number: str | None, text: str) -> StaffNotice:
    return StaffNotice(outbox_id=OUTBOX_ID_BY_RELAY, login=login, kind=kind, ticket_number=ticket_number,
                       text=text)

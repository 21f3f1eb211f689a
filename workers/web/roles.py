"""Who may do what, by Staff.role."""

from __future__ import annotations

from router.models import Staff

QUARANTINE_ROLES = frozenset({"admin", "department_head", "subscriber_head"})


def can_see_quarantine(staff: Staff | None) -> bool:
    return staff is not None and staff.role in QUARANTINE_ROLES

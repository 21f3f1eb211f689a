"""Jinja2 templates (Russian UI), with filters for local time and the titles of stored codes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import Response

from normalizer.invisible import strip_bidi
from router.timeutil import aware, utcnow
from workers.app import labels
from workers.app.settings import Settings
from workers.web.csrf import csrf_token
from workers.web.roles import can_see_quarantine

TEMPLATES_DIR = Path(__file__).with_name("templates")
FLASH_KEY = "flash"


def flash(request: Request, message: str) -> None:
    """A one-time notice for the next page (never personal data: the session cookie is only signed)."""
    request.session.setdefault(FLASH_KEY, []).append(message)


def _context(request: Request) -> dict[str, Any]:
    staff = getattr(request.state, "staff", None)
    return {
        "csrf_token": csrf_token(request),
        "staff": staff,
        "can_see_quarantine": can_see_quarantine(staff),
        "flashes": request.session.pop(FLASH_KEY, []),
    }


def without_bidi_controls(value: Any) -> Any:
    """Jinja's finalize: every rendered value without bidi override/isolate characters (U+202A–U+202E,
    U+2066–U+2069), so a client's text cannot turn what a page shows around it; markup stays markup."""
    if isinstance(value, Markup):
        return Markup(strip_bidi(str(value)))
    if isinstance(value, str):
        return strip_bidi(value)
    return value


def make_templates(settings: Settings) -> Jinja2Templates:
    tz: ZoneInfo = settings.calendar.tz
    templates = Jinja2Templates(directory=TEMPLATES_DIR, context_processors=[_context])
    env = templates.env
    env.finalize = without_bidi_controls  # before any template is compiled: finalize is compiled in

    def local(value: datetime | None, fmt: str = "%d.%m.%Y %H:%M") -> str:
        return "—" if value is None else aware(value).astimezone(tz).strftime(fmt)

    def overdue(value: datetime | None) -> bool:
        return value is not None and aware(value) < utcnow()

    env.filters.update(
        local=local,
        overdue=overdue,
        stage=labels.stage_title,
        role=lambda code: labels.title(labels.ROLE_TITLES, code),
        segment=lambda code: labels.title(labels.SEGMENT_TITLES, code),
        building=lambda code: labels.title(labels.BUILDING_TITLES, code),
        channel=lambda code: labels.title(labels.CHANNEL_TITLES, code),
        queue=lambda code: labels.title(labels.QUEUE_TITLES, code),
        category=lambda code: labels.title(labels.CATEGORY_TITLES, code),
        shunt_stage=lambda code: labels.title(labels.SHUNT_STAGE_TITLES, code),
        history_action=lambda code: labels.title(labels.HISTORY_ACTION_TITLES, code),
        delivery_status=lambda code: labels.title(labels.DELIVERY_STATUS_TITLES, code),
        sent_status=lambda code: labels.title(labels.SENT_MESSAGE_STATUS_TITLES, code),
        attachment_status=lambda code: labels.title(labels.ATTACHMENT_STATUS_TITLES, code),
        department=lambda code: labels.title(labels.QUEUE_TITLES, code),
        recommendation_status=lambda code: labels.title(labels.RECOMMENDATION_STATUS_TITLES, code),
        phone=labels.phone_title,
    )
    env.globals.update(tz_name=settings.timezone, category_choices=labels.CATEGORY_CHOICES)
    return templates


def render(
    request: Request, name: str, context: Mapping[str, Any] | None = None, status_code: int = 200
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, dict(context or {}), status_code=status_code)

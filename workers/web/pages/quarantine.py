"""Quarantine (SHUNT stream): what no stage could process, why, and a replay button."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response

from workers.bus.shunt import NotReplayable, jetstream_of, list_shunted, replay
from workers.web.auth import quarantine_staff
from workers.web.csrf import verify_csrf
from workers.web.deps import BrokerDep
from workers.web.errors import PageError
from workers.web.templating import flash, render

log = logging.getLogger(__name__)

PREVIEW_CHARS = 300

router = APIRouter(dependencies=[Depends(quarantine_staff)])


@router.get("/quarantine")
async def quarantine(request: Request, broker: BrokerDep) -> Response:
    try:
        items = await list_shunted(jetstream_of(broker))
    except Exception as exc:
        log.warning("quarantine: cannot read SHUNT: %s", type(exc).__name__)
        raise PageError(503, "Карантин сейчас недоступен: нет связи с NATS. Повторите через минуту.") from None
    return render(request, "quarantine.html", {"items": items, "preview_chars": PREVIEW_CHARS})


@router.post("/quarantine/{seq}/replay", dependencies=[Depends(verify_csrf)])
async def replay_one(request: Request, seq: Annotated[int, Path(ge=1, le=2**63 - 1)], broker: BrokerDep) -> Response:
    staff = request.state.staff
    try:
        await replay(jetstream_of(broker), seq)
    except LookupError:
        flash(request, f"Сообщение №{seq} уже не в карантине (повторено или удалено).")
    except NotReplayable as exc:
        flash(request, str(exc).split(" / ")[0].capitalize() + ".")
    except Exception as exc:
        log.warning("quarantine: replay of #%d failed: %s", seq, type(exc).__name__)
        flash(request, f"Не удалось повторить сообщение №{seq}: нет связи с NATS. Попробуйте позже.")
    else:
        log.info("quarantine: message #%d replayed by staff #%d", seq, staff.id)
        flash(request, f"Сообщение №{seq} отправлено на повторную обработку.")
    return RedirectResponse("/quarantine", status_code=303)

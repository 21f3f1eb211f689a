"""The post room's upload of a scanned letter: the file, the envelope's sender and the date received. The
body is read only after the staff member is known, and capped while it streams (workers.web.body_cap);
the scan is OCR'd and handed to INTAKE like the watched folder's files (then it is a submission with a
status page)."""

from __future__ import annotations

import errno
import logging
from datetime import date

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from channels.base import BadSubmission, Channel
from channels.scan.submission import scan_submission
from router.timeutil import utcnow
from workers.bus.publish import IntakeUnavailable, hand_off
from workers.web.auth import StaffDep, current_staff
from workers.web.csrf import FIELD, csrf_matches
from workers.web.deps import BrokerDep
from workers.web.errors import PageError
from workers.web.templating import render

log = logging.getLogger("complaints.web.scans")
router = APIRouter(dependencies=[Depends(current_staff)])
STORE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})  # no room for the scan in the blob store
POST_ROOM = frozenset({"operator", "admin"})


def _allowed(staff: StaffDep) -> None:
    if staff.role not in POST_ROOM:
        raise PageError(403, "Принимать письма может почтовое отделение (операторы).")


@router.get("/scans/upload")
async def upload_form(request: Request, staff: StaffDep) -> Response:
    _allowed(staff)
    return render(request, "scan_upload.html", {"today": utcnow().date().isoformat()})


@router.post("/scans/upload")
async def upload_scan(request: Request, staff: StaffDep, broker: BrokerDep) -> Response:
    _allowed(staff)
    settings = request.app.state.settings
    # Capped while it streams by workers.web.body_cap (the scan cap plus the form's text fields).
    form = await request.form(max_files=1, max_fields=10)
    if not csrf_matches(request, form.get(FIELD)):
        raise PageError(403, "Форма устарела или отправлена не из приложения. Обновите страницу.")
    upload, errors = form.get("file"), []
    sender = str(form.get("envelope_sender") or "").strip()[:500] or None
    channel = Channel.FAX if form.get("channel") == "fax" else Channel.POST
    try:
        received = date.fromisoformat(str(form.get("received_date") or "")) if form.get("received_date") else None
    except ValueError:
        received, errors = None, ["Дата получения указана неверно."]
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.append("Выберите файл скана (PDF, TIFF, PNG или JPEG).")
    if errors:
        return render(request, "scan_upload.html", {"errors": errors, "today": utcnow().date().isoformat()},
                      status_code=422)
    assert isinstance(upload, UploadFile)
    data = await upload.read()
    try:
        raw = await scan_submission(settings.blobs, data, source="upload", filename=upload.filename or "scan",
                                    received_at=utcnow(), channel=channel, envelope_sender=sender,
                                    received_date=received, operator_id=staff.login, config=settings.scan)
    except BadSubmission as exc:
        return render(request, "scan_upload.html", {"errors": [f"Скан не принят: {exc}"],
                                                    "today": utcnow().date().isoformat()}, status_code=422)
    except OSError as exc:
        if exc.errno not in STORE_FULL:
            raise
        # The blob store wrote nothing half (temp file + rename, removed on error): the same file again later.
        log.error("scan upload: the blob store is full (%s)", exc.strerror)
        refused = render(request, "scan_upload.html", {
            "errors": ["Письмо НЕ принято: хранилище файлов переполнено. Сообщите администратору и загрузите "
                       "файл ещё раз позже — повторная загрузка того же файла не создаст дубль."],
            "today": utcnow().date().isoformat()}, status_code=503)
        refused.headers["Retry-After"] = "60"
        return refused
    try:
        await hand_off(broker, raw)
    except IntakeUnavailable:
        return render(request, "scan_upload.html", {
            "errors": ["Письмо НЕ принято: очередь приёма временно недоступна. Загрузите его ещё раз через минуту "
                       "— повторная загрузка того же файла не создаст дубль."],
            "today": utcnow().date().isoformat()}, status_code=503)
    return RedirectResponse(f"/submissions/{raw.submission_id}", status_code=303)

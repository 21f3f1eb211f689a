"""The email intake's hand-off of a fax gateway's mail to the scan channel: each fax file is OCR'd and
published as a fax submission (the same file twice is one submission); a file that cannot be read is kept
in SHUNT with the reason. The mail itself makes no email ticket."""

from __future__ import annotations

import asyncio
import logging

from nats.js import JetStreamContext
from nats.js.api import PubAck

from channels.base import BadSubmission, Channel, RawSubmission
from channels.scan.submission import scan_native_id, scan_submission
from workers.app.settings import Settings
from workers.bus.publish import publish_to_intake
from workers.bus.shunt import record_at_edge
from workers.channels.scan.fax_mail import fax_mail
from workers.channels.scan.plugin import FAX_MAIL_STAGE

log = logging.getLogger("complaints.scan.fax")


async def hand_faxes_to_scan(js: JetStreamContext, settings: Settings, raw: RawSubmission) -> PubAck | None:
    """The last PubAck when `raw` was a fax gateway's mail and its files went to the scan channel; None for
    any other mail (it goes on as an email)."""
    key = raw.payload.get("blob_key") if isinstance(raw.payload, dict) else None
    if not settings.fax_gateway_senders or not isinstance(key, str):
        return None
    data = await asyncio.to_thread(settings.blobs.get, key)
    mail = fax_mail(data, settings.fax_gateway_senders)
    if mail is None:
        return None
    last: PubAck | None = None
    for item in mail.files:
        try:
            scan = await scan_submission(settings.blobs, item.data, source="fax_email", filename=item.filename,
                                         received_at=raw.received_at, channel=Channel.FAX, fax_from=mail.sender,
                                         config=settings.scan)
        except BadSubmission as exc:
            log.warning("fax %s from a gateway mail not readable: %s", item.filename, exc)
            last = await record_at_edge(js, FAX_MAIL_STAGE, f"факс {item.filename}: {exc}", f"email:{raw.native_id}",
                                        b"", f"fax:{scan_native_id(item.data)}")
            continue
        last = await publish_to_intake(js, scan)
    return last

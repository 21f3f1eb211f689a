"""Fax-to-email: a mail from a configured fax gateway carries the fax as TIFF or PDF attachments. The email
intake hands those to the scan channel (OCR, verified identity) instead of making a bare email ticket."""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr

from normalizer.email.fax import is_fax_gateway

SCAN_TYPES = frozenset({"image/tiff", "application/pdf", "image/png", "image/jpeg"})
MAX_FAX_FILES = 20  # attachments taken from one gateway mail


@dataclass(frozen=True)
class FaxFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class FaxMail:
    sender: str
    files: list[FaxFile]


def fax_mail(data: bytes, gateway_senders: list[str]) -> FaxMail | None:
    """The fax files of a gateway's mail; None for any other mail (or a gateway mail without a fax file:
    it stays an email, category fax, as before)."""
    senders = {s.strip().lower() for s in gateway_senders if s.strip()}
    if not senders:
        return None
    message = message_from_bytes(data, policy=policy.default)
    address = parseaddr(str(message.get("From", "")))[1].lower()
    if not is_fax_gateway(address, senders) or not isinstance(message, EmailMessage):
        return None
    files: list[FaxFile] = []
    for part in message.iter_attachments():
        content_type = part.get_content_type()
        name = part.get_filename() or f"fax-{len(files) + 1}"
        if content_type == "application/octet-stream" and name.lower().endswith((".tif", ".tiff")):
            content_type = "image/tiff"
        if content_type not in SCAN_TYPES:
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload:
            files.append(FaxFile(name, content_type, payload))
        if len(files) >= MAX_FAX_FILES:
            break
    return FaxMail(address, files) if files else None

"""One walk over the MIME tree: the body text, the attachments, the ids of embedded messages.

multipart/alternative gives its plain-text part (else HTML) as the body; every other leaf that is
not an inline text part is an attachment (inline images included). A forwarded message/rfc822 is
part of the complaint: its text is added under a "forwarded" line. Inside multipart/report (a DSN
or a read receipt) the embedded message and headers are kept as attachments and their Message-ID
noted (the bounced message). Part count and part sizes are capped as the walk goes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser

from channels.base import BadSubmission
from channels.email.config import EmailLimits
from normalizer.email.attachments import RawAttachment, attachment_of, message_bytes
from normalizer.email.charset import decode_bytes
from normalizer.email.headers import decode_header_text, raw_header
from normalizer.email.html import html_to_text
from normalizer.email.partinfo import PartInfo, part_info
from normalizer.email.threading import own_message_id

BODY_TYPES = ("text/plain", "text/html")
EMBEDDED_HEADER_TYPES = ("message/rfc822", "text/rfc822-headers", "message/rfc822-headers", "message/global",
                         "message/global-headers")
MAX_DEPTH = 20


@dataclass
class MailParts:
    texts: list[str] = field(default_factory=list)
    attachments: list[RawAttachment] = field(default_factory=list)
    embedded_ids: list[str] = field(default_factory=list)  # Message-IDs of messages inside a report
    report_type: str | None = None
    count: int = 0


class _Walk:
    def __init__(self, limits: EmailLimits) -> None:
        self.limits = limits
        self.parts = MailParts()

    def visit(self, part: EmailMessage, want_text: bool, in_report: bool = False, depth: int = 0) -> None:
        self._count(part, depth)
        info = part_info(part)
        ctype = info.content_type
        if ctype.startswith("message/") and part.is_multipart():
            self._message(part, ctype, want_text, in_report, depth)
        elif part.is_multipart():
            children = _children(part)
            if ctype == "multipart/report":
                self.parts.report_type = str(part.get_param("report-type") or "unknown").lower()
                in_report = True
            if ctype == "multipart/alternative":
                chosen = self._best_alternative(children) if want_text else None
                for child in children:
                    self.visit(child, want_text and child is chosen, in_report, depth + 1)
            else:
                for child in children:
                    self.visit(child, want_text, in_report, depth + 1)
        elif _is_body(info):
            # A text part outside the wanted branch is another rendering of the body: skipped.
            if want_text:
                text = self._text(part, info)
                if text.strip():
                    self.parts.texts.append(text)
        else:
            self._attach(part, info, in_report)

    def _message(self, part: EmailMessage, ctype: str, want_text: bool, in_report: bool, depth: int) -> None:
        inner = _children(part)
        if in_report or not want_text or ctype != "message/rfc822":
            # A bounced original, a delivery-status block: kept whole, never read as the complaint.
            if ctype in EMBEDDED_HEADER_TYPES and inner:
                self._note_id(inner[0])
            self._store(attachment_of(part_info(part), message_bytes(list(inner)), len(self.parts.attachments)))
            return
        for message in inner:
            before = len(self.parts.texts)
            self.visit(message, True, in_report, depth + 1)
            self.parts.texts.insert(before, _forward_banner(message))

    def _best_alternative(self, children: list[EmailMessage]) -> EmailMessage | None:
        infos = [part_info(child) for child in children]
        for wanted in BODY_TYPES:
            for child, info in zip(children, infos, strict=True):
                if info.content_type == wanted and not child.is_multipart() and _is_body(info):
                    if wanted == "text/html" or self._text(child, info).strip():
                        return child
        multipart = [child for child in children if child.is_multipart()]
        return multipart[-1] if multipart else None

    def _text(self, part: EmailMessage, info: PartInfo) -> str:
        data = self._payload(part, info)
        text = decode_bytes(data, info.charset)
        return html_to_text(text) if info.content_type == "text/html" else text

    def _attach(self, part: EmailMessage, info: PartInfo, in_report: bool) -> None:
        data = self._payload(part, info)
        if in_report and info.content_type in EMBEDDED_HEADER_TYPES:
            self._note_id(BytesHeaderParser().parsebytes(data))
        self._store(attachment_of(info, data, len(self.parts.attachments)))

    def _store(self, attachment: RawAttachment) -> None:
        if len(attachment.data) > self.limits.max_part_bytes:
            raise BadSubmission(
                f"вложение «{attachment.name}» больше предела: {len(attachment.data)} байт > "
                f"{self.limits.max_part_bytes} / part {attachment.name!r} is over the part size cap"
            )
        self.parts.attachments.append(attachment)

    def _payload(self, part: EmailMessage, info: PartInfo) -> bytes:
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        if len(data) > self.limits.max_part_bytes:
            raise BadSubmission(
                f"часть письма {info.content_type} больше предела: {len(data)} байт > "
                f"{self.limits.max_part_bytes} / a {info.content_type} part is over the part size cap"
            )
        return data

    def _note_id(self, headers: Message) -> None:
        found = own_message_id(headers)
        if found and found not in self.parts.embedded_ids:
            self.parts.embedded_ids.append(found)

    def _count(self, part: EmailMessage, depth: int) -> None:
        self.parts.count += 1
        if self.parts.count > self.limits.max_parts:
            raise BadSubmission(
                f"в письме больше {self.limits.max_parts} частей / more than {self.limits.max_parts} MIME parts"
            )
        if depth > MAX_DEPTH:
            raise BadSubmission(f"вложенность частей больше {MAX_DEPTH} / MIME nesting deeper than {MAX_DEPTH}")
        if depth and sum(len(k) + len(v) + 2 for k, v in part.raw_items()) > self.limits.max_header_bytes:
            raise BadSubmission(
                f"заголовки части письма больше предела {self.limits.max_header_bytes} байт / "
                "a part's header block is over the header size cap"
            )


def _children(part: EmailMessage) -> list[EmailMessage]:
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, EmailMessage)] if isinstance(payload, list) else []


def _is_body(info: PartInfo) -> bool:
    return info.content_type in BODY_TYPES and not info.is_attachment and info.filename is None


def _forward_banner(message: EmailMessage) -> str:
    subject = " ".join(decode_header_text(v) for v in raw_header(message, "subject"))
    sender = " ".join(decode_header_text(v) for v in raw_header(message, "from"))
    return f"---------- Пересланное сообщение ----------\nОт: {sender}\nТема: {subject}"


def walk_mail(msg: EmailMessage, limits: EmailLimits) -> MailParts:
    walk = _Walk(limits)
    walk.visit(msg, want_text=True)
    return walk.parts

"""The MIME headers of one part, parsed once (policy.default re-parses a header on every access)."""

from __future__ import annotations

from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class PartInfo:
    content_type: str
    charset: str | None
    disposition: str | None
    filename: str | None  # RFC 2231 decoded by the header registry; Content-Type name= as a fallback

    @property
    def is_attachment(self) -> bool:
        return self.disposition == "attachment"


def part_info(part: EmailMessage) -> PartInfo:
    ctype_header = part.get("content-type")
    if ctype_header is None:
        ctype, ctype_params = part.get_default_type(), {}
    else:
        ctype = getattr(ctype_header, "content_type", "text/plain")
        ctype_params = dict(getattr(ctype_header, "params", {}))
        if ctype.count("/") != 1:
            ctype = "text/plain"
    disposition_header = part.get("content-disposition")
    disposition, disposition_params = None, {}
    if disposition_header is not None:
        disposition = (getattr(disposition_header, "content_disposition", None) or "").lower() or None
        disposition_params = dict(getattr(disposition_header, "params", {}))
    filename = disposition_params.get("filename") or ctype_params.get("name")
    charset = ctype_params.get("charset")
    return PartInfo(ctype, str(charset).lower() if charset else None, disposition,
                    str(filename) if filename is not None else None)

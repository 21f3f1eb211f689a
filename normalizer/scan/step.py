"""Step: a scanned letter or fax (channels post and fax, a channels.scan ScanPayload) into the draft.

The text is the OCR text without its junk lines; the sender, numbers, address, date and the claim's parts
are read out of it (normalizer.scan.fields) into ScanFacts. The numbers and phones found go into the
identities as hints only: an OCR'd identifier is never trusted by itself, the router verifies it against
the directory (router.scan_match). ScanFacts.needs_verification says a person must check the client.
"""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError

from channels.base import BadSubmission, Channel
from channels.scan.payload import ScanPayload
from normalizer.draft import Draft, add_unique
from normalizer.event import Attachment, ScanFacts
from normalizer.scan.fields import Extraction, drop_junk_lines, extract

NO_TEXT = "(текст скана не распознан)"
MAX_ERRORS_SHOWN = 3


def scan_payload(payload: dict[str, object]) -> ScanPayload:
    """The payload as a ScanPayload, or BadSubmission naming what is wrong with it."""
    try:
        return ScanPayload.model_validate(payload)
    except ValidationError as exc:
        errors = exc.errors()
        shown = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'payload'}: {e['msg']}"
                          for e in errors[:MAX_ERRORS_SHOWN])
        more = f" (+{len(errors) - MAX_ERRORS_SHOWN})" if len(errors) > MAX_ERRORS_SHOWN else ""
        raise BadSubmission(f"неверные данные скана / bad scan payload: {shown}{more}") from None


def scan_letter(draft: Draft) -> None:
    payload = scan_payload(draft.raw.payload)
    text = drop_junk_lines(payload.text).strip()
    found = extract(text, draft.config, payload.envelope_sender)
    fields = found.fields

    draft.text = text or NO_TEXT
    draft.display_name = fields.sender_name
    draft.subject = subject(draft.raw.channel, found.letter_date or payload.received_date
                            or draft.raw.received_at.date())
    ids = draft.identities
    for number in found.contracts:
        add_unique(ids.contract_numbers, number)
    for number in found.accounts:
        add_unique(ids.account_numbers, number)
    for phone in found.phones:
        add_unique(ids.phones, phone)
    draft.attachments.append(Attachment(name=payload.filename, content_type=payload.content_type,
                                        size=payload.size, blob_key=payload.blob_key))

    confidence = None if payload.text_layer else payload.mean_confidence
    draft.ocr_confidence = confidence
    reasons = verification_reasons(found, confidence, draft.config.scan_low_confidence, has_text=bool(text))
    draft.scan = ScanFacts(
        mean_confidence=confidence,
        text_layer=payload.text_layer,
        fields=fields,
        needs_verification=bool(reasons),
        reasons=reasons,
        blob_key=payload.blob_key,
        page_keys=[page.image_key for page in payload.pages if page.image_key],
    )


def subject(channel: Channel, when: date) -> str:
    kind = "Факс" if channel == Channel.FAX else "Письмо по почте"
    return f"{kind} от {when:%d.%m.%Y}"


def verification_reasons(found: Extraction, confidence: float | None, low: float, has_text: bool = True) -> list[str]:
    """Why a person must check the scan (Russian); empty: the router may still match it automatically.

    A text-layer PDF has no OCR confidence (None), which alone never requires verification."""
    reasons: list[str] = []
    if not has_text:
        reasons.append("текст не распознан")
    if confidence is not None and confidence < low:
        reasons.append(f"низкое качество распознавания: {confidence:.0f}%")
    if not found.contracts and not found.accounts:
        reasons.append("номер договора не найден")
    if len(found.contracts) > 1:
        reasons.append(f"в письме разные номера договора: {', '.join(found.contracts)}")
    if len(found.accounts) > 1:
        reasons.append(f"в письме разные номера лицевого счёта: {', '.join(found.accounts)}")
    return reasons

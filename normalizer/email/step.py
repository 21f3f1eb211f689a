"""Step: an email submission (raw mail in the blob store) -> subject, text, sender, threading, robots.

Runs first for email, so the common steps (cleanup, identities in the text, ticket numbers,
classification, language) then work on the mail's text as on any channel's. The caps and the fax
gateways come from the draft's NormalizerConfig.
"""

from __future__ import annotations

from email.message import EmailMessage

from channels.base import BadSubmission
from channels.blobs import BlobStore
from normalizer.draft import Draft, add_unique
from normalizer.email.addresses import Mailbox, single_mailbox
from normalizer.email.fax import FAX_CATEGORY, is_fax_gateway
from normalizer.email.headers import decode_header_text, raw_header
from normalizer.email.mime import MailParts, walk_mail
from normalizer.email.parse import parse_mail
from normalizer.email.quotes import split_reply, unquote
from normalizer.email.robots import bounced_ids_in_text, robot_kind
from normalizer.email.threading import own_message_id, referenced_ids, references_chain
from normalizer.event import ReplyTarget
from normalizer.identities import numbers_in_text
from normalizer.phones import phones_in_text

# Text beyond this is not read (the event keeps far less); bounds the work on a huge body.
MAX_BODY_CHARS = 200_000


MIME_TOO_DEEP = ("MIME-части вложены слишком глубоко, письмо не разобрать / MIME parts nested too deeply to "
                 "parse")


def email_message(draft: Draft) -> None:
    try:
        _email_message(draft)
    except RecursionError:
        # Thousands of nested multiparts exhaust the stdlib parser's recursion: the same on every retry, so
        # quarantined at once with this reason rather than retried as if it were a passing fault.
        raise BadSubmission(MIME_TOO_DEEP) from None


def _email_message(draft: Draft) -> None:
    raw, config = draft.raw, draft.config
    key = raw.payload.get("blob_key")
    if not isinstance(key, str):
        raise BadSubmission("в письме нет ключа исходника / email submission without a blob_key")
    msg = parse_mail(_raw_mail(draft.blobs, key), config.email_limits)
    parts = walk_mail(msg, config.email_limits)
    blobs = draft.blobs
    assert blobs is not None  # _raw_mail checked it

    subjects = raw_header(msg, "subject")
    draft.subject = decode_header_text(subjects[0]) or None if subjects else None
    sender = single_mailbox(msg, "from") or Mailbox(None, None, "no From header")
    draft.display_name = sender.display_name
    if sender.address:
        add_unique(draft.identities.emails, sender.address)

    message_id = own_message_id(msg)
    draft.content_id = message_id or key
    for found in referenced_ids(msg):
        add_unique(draft.thread_refs, found)
    draft.attachments = [attachment.store(blobs) for attachment in parts.attachments]
    body = "\n\n".join(parts.texts)[:MAX_BODY_CHARS]

    if sender.address and is_fax_gateway(sender.address, config.fax_senders):
        # The gateway is not the client: no identity, no answer; the scan channel takes the files.
        draft.identities.emails.remove(sender.address)
        draft.category = FAX_CATEGORY
        draft.text = body.strip() or f"(факс, вложений: {len(draft.attachments)})"
        return

    kind = robot_kind(msg, sender.address, draft.subject, parts.report_type)
    if kind is not None:
        draft.auto_generated, draft.auto_kind = True, kind
        if kind == "bounce":
            for found in parts.embedded_ids or bounced_ids_in_text(body):
                add_unique(draft.thread_refs, found)
    elif sender.address:
        draft.reply_to = _reply_target(msg, sender.address, message_id, draft.subject)
    draft.text = _complaint_text(draft, body, parts)


def _raw_mail(blobs: BlobStore | None, key: str) -> bytes:
    if blobs is None:
        raise BadSubmission("нет хранилища исходников писем / no blob store to read the mail from")
    return blobs.get(key)  # BlobNotFound is temporary (a store not mounted yet): retried, then shunted


def _reply_target(msg: EmailMessage, sender: str, message_id: str | None, subject: str | None) -> ReplyTarget:
    reply_to = single_mailbox(msg, "reply-to")
    address = reply_to.address if reply_to and reply_to.address else sender
    return ReplyTarget(address=address, message_id=message_id, references=references_chain(msg, message_id),
                       subject=subject)


def _complaint_text(draft: Draft, body: str, parts: MailParts) -> str:
    """What the client wrote now; a mail that is only a quote, only attachments or only a subject still counts."""
    reply = split_reply(body)
    if reply.signature:
        _identities_in_signature(draft, reply.signature)
    if reply.text:
        return reply.text
    if body.strip():
        return unquote(body).strip()
    if parts.attachments:
        return f"(без текста, вложений: {len(parts.attachments)})"
    return draft.subject or ""


def _identities_in_signature(draft: Draft, signature: str) -> None:
    """A signature is not the complaint, but its phone or contract number identifies the client."""
    for phone in phones_in_text(signature):
        add_unique(draft.identities.phones, phone)
    for number in numbers_in_text(draft.config.contract_pattern, signature):
        add_unique(draft.identities.contract_numbers, number)

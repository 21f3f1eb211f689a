"""normalize(): RawSubmission -> ComplaintEvent by running the steps in order (the order is data)."""

from __future__ import annotations

from collections.abc import Callable

from channels.base import BadSubmission, RawSubmission
from channels.blobs import BlobStore
from normalizer.classify import classify
from normalizer.cleanup import text_cleanup
from normalizer.draft import Draft
from normalizer.email import email_message
from normalizer.event import ComplaintEvent
from normalizer.identities import identities_in_text
from normalizer.language import language
from normalizer.ok import ok_message
from normalizer.references import thread_references
from normalizer.structured import structured_fields
from normalizer.telegram import telegram_message
from normalizer.vk import vk_message

Step = Callable[[Draft], None]

STEPS: tuple[Step, ...] = (
    # The channel's own step first: the common steps below then read its text like any channel's.
    email_message,
    vk_message,
    ok_message,
    telegram_message,
    structured_fields,
    text_cleanup,
    identities_in_text,
    thread_references,
    classify,
    language,
)


def normalize(
    raw: RawSubmission, steps: tuple[Step, ...] = STEPS, blobs: BlobStore | None = None
) -> ComplaintEvent:
    """Pure but for the blob store: the same submission always gives the same event. Raises BadSubmission."""
    draft = Draft(raw=raw, blobs=blobs)
    for step in steps:
        step(draft)
    if not draft.text:
        raise BadSubmission(f"{raw.channel} submission {raw.native_id!r} has no text after cleanup")
    return draft.to_event()

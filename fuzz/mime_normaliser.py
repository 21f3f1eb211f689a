"""Atheris harness for the e-mail normaliser: raw mail bytes -> the email channel step -> a ComplaintEvent.

Each input goes exactly where a fetched mail goes: into the blob store, described by `store_mail`, then
through `normalizer.pipeline.normalize` with the channel steps of the registry (the email step first,
then the common steps), as the normalize worker runs it. `BadSubmission` is the one documented rejection
(the worker quarantines it); any other exception is a crash. For an accepted mail the harness also checks
what the rest of the pipeline relies on:

- the event survives its own JSON round trip (the contract the router validates);
- normalising the same submission again gives the same event (the step is pure but for the blob store);
- the text is within the cap, every attachment is in the blob store, identities carry no invisible chars.

Run (see fuzz/README.md):
    uv run --frozen --group fuzz python fuzz/mime_normaliser.py -atheris_runs=200000 fuzz/corpus/mime

`test_one_input` is plain Python: tests/property/test_fuzz_harness.py runs it over the seed corpus.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Coverage feedback for the code that reads the mail: the product packages and the stdlib parsers they use.
INSTRUMENTED = ["normalizer", "channels", "email", "html"]


@contextlib.contextmanager
def _instrumented() -> Iterator[None]:
    """Atheris instruments the modules first imported inside this block, when run as the fuzzer only."""
    if __name__ != "__main__":
        yield
        return
    atheris = importlib.import_module("atheris")  # the "fuzz" dependency group; untyped (no stubs published)
    with atheris.instrument_imports(include=INSTRUMENTED):
        yield


with _instrumented():
    from channels.base import BadSubmission, Channel
    from channels.blobs import MemoryBlobStore
    from channels.email.config import EmailLimits
    from channels.email.submission import mail_native_id, store_mail
    from normalizer.cleanup import MAX_TEXT_CHARS
    from normalizer.config import NormalizerConfig
    from normalizer.email import email_message
    from normalizer.event import ComplaintEvent
    from normalizer.invisible import BIDI_CONTROLS, ZERO_WIDTH
    from normalizer.pipeline import normalize

# Caps as the corpus tests use them (small, so an oversized input is refused quickly, as in production).
LIMITS = EmailLimits(max_message_bytes=1_000_000, max_header_bytes=16_384, max_part_bytes=100_000, max_parts=25)
CONFIG = NormalizerConfig(email_limits=LIMITS, fax_senders=frozenset({"fax@fax.example.ru"}))
STEPS = {Channel.EMAIL: email_message}
RECEIVED = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)
INVISIBLE = set(ZERO_WIDTH + BIDI_CONTROLS)


def normalise_mail(data: bytes) -> tuple[ComplaintEvent, MemoryBlobStore] | None:
    """The event of one raw mail, or None when the normaliser refuses it with BadSubmission."""
    blobs = MemoryBlobStore()
    raw = store_mail(blobs, data, native_id=mail_native_id("fuzz", 1, 1), received_at=RECEIVED,
                     origin={"mailbox": "fuzz", "uidvalidity": 1, "uid": 1})
    try:
        return normalize(raw, config=CONFIG, channel_steps=STEPS, blobs=blobs), blobs
    except BadSubmission:
        return None


def check_event(data: bytes, event: ComplaintEvent, blobs: MemoryBlobStore) -> None:
    """What an accepted mail's event must satisfy; AssertionError otherwise."""
    assert ComplaintEvent.model_validate_json(event.model_dump_json()) == event, "event JSON round trip"
    assert event.channel is Channel.EMAIL and event.text, "an accepted mail has text"
    assert len(event.text) <= MAX_TEXT_CHARS, f"text over the cap: {len(event.text)}"
    for attachment in event.attachments:
        assert blobs.get(attachment.blob_key) is not None and attachment.size >= 0
    for _kind, value in event.identities.pairs():
        assert not INVISIBLE & set(value), f"invisible character in identity {value!r}"
    again = normalise_mail(data)
    assert again is not None and again[0] == event, "normalising the same mail twice differs"


def test_one_input(data: bytes) -> None:
    result = normalise_mail(data)
    if result is not None:
        check_event(data, *result)


def main() -> None:
    atheris = importlib.import_module("atheris")
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

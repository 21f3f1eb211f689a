"""normalize(): RawSubmission -> ComplaintEvent by running the steps in order (the order is data).

The submission's own channel step comes first, picked from the `{Channel: step}` mapping the caller
passes (workers.channels.registry.normalizer_steps()); the common steps then read its text like any
channel's. This module names no channel, and its configuration comes in as a NormalizerConfig.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from channels.base import BadSubmission, Channel, RawSubmission
from channels.blobs import BlobStore
from normalizer.classify import classify
from normalizer.cleanup import text_cleanup
from normalizer.config import NormalizerConfig
from normalizer.draft import Draft
from normalizer.event import ComplaintEvent
from normalizer.identities import identities_in_text
from normalizer.language import language
from normalizer.references import thread_references

Step = Callable[[Draft], None]
ChannelSteps = Mapping[Channel, Step]

# After the channel step, in this order.
COMMON_STEPS: tuple[Step, ...] = (
    text_cleanup,
    identities_in_text,
    thread_references,
    classify,
    language,
)


def channel_step(channel: Channel, channel_steps: ChannelSteps) -> Step:
    step = channel_steps.get(channel)
    if step is None:
        raise BadSubmission(
            f"для канала «{channel}» нет шага нормализации / no normalizer step for the {channel} channel"
        )
    return step


def normalize(
    raw: RawSubmission,
    *,
    config: NormalizerConfig,
    channel_steps: ChannelSteps,
    blobs: BlobStore | None = None,
    steps: Sequence[Step] = COMMON_STEPS,
) -> ComplaintEvent:
    """Pure but for the blob store: the same submission and config always give the same event.

    Raises BadSubmission (also for a channel with no step in `channel_steps`).
    """
    first = channel_step(raw.channel, channel_steps)
    draft = Draft(raw=raw, config=config, blobs=blobs)
    for step in (first, *steps):
        step(draft)
    if not draft.text:
        raise BadSubmission(f"{raw.channel} submission {raw.native_id!r} has no text after cleanup")
    return draft.to_event()

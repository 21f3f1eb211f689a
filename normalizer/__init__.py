"""Pure functions RawSubmission -> ComplaintEvent."""

from normalizer.config import NormalizerConfig
from normalizer.event import ComplaintEvent
from normalizer.pipeline import normalize

__all__ = ["ComplaintEvent", "NormalizerConfig", "normalize"]

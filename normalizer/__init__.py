"""Pure functions RawSubmission -> ComplaintEvent."""

from normalizer.event import ComplaintEvent
from normalizer.pipeline import normalize

__all__ = ["ComplaintEvent", "normalize"]

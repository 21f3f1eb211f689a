"""Step: a ok submission (the platform's own JSON) into the draft (filled in by the ok channel)."""

from __future__ import annotations

from normalizer.draft import Draft


def ok_message(draft: Draft) -> None:
    return None

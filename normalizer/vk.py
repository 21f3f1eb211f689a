"""Step: a vk submission (the platform's own JSON) into the draft (filled in by the vk channel)."""

from __future__ import annotations

from normalizer.draft import Draft


def vk_message(draft: Draft) -> None:
    return None

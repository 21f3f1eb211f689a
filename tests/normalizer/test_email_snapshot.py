"""The whole event of every corpus mail, as it was before the email normaliser was made faster (issue 12).

tests/data/email/events.json holds each mail's event (fields at their default left out) or its refusal,
taken with the code before that work. A change that alters any field of any of them fails here: speed
work must not change what the normaliser says. When an output is meant to change, regenerate the
snapshot (`uv run python -m tests.normalizer.test_email_snapshot`) and review its diff.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from channels.base import BadSubmission
from tests.normalizer.conftest import CORPUS_CONFIG
from tests.normalizer.test_email_corpus import CORPUS, EXPECTED, normalize_mail

SNAPSHOT = CORPUS / "events.json"


def event_of(name: str) -> dict[str, Any]:
    try:
        event, _ = normalize_mail(name, CORPUS_CONFIG)
    except BadSubmission as exc:
        return {"error": str(exc)}
    return dict(event.model_dump(mode="json", exclude_defaults=True))


def render(events: dict[str, dict[str, Any]]) -> str:
    """One mail per line (a change shows as the lines of the mails it touched)."""
    lines = [f"{json.dumps(name, ensure_ascii=False)}: "
             f"{json.dumps(events[name], ensure_ascii=False, sort_keys=True, separators=(',', ':'))}"
             for name in sorted(events)]
    return "{\n" + ",\n".join(lines) + "\n}\n"


SNAPSHOTS: dict[str, dict[str, Any]] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))


def test_snapshot_covers_the_corpus() -> None:
    assert set(SNAPSHOTS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_event_unchanged(name: str) -> None:
    assert event_of(name) == SNAPSHOTS[name]


if __name__ == "__main__":
    SNAPSHOT.write_text(render({name: event_of(name) for name in sorted(EXPECTED)}), encoding="utf-8")

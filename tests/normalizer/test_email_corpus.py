"""Every mail of tests/data/email through normalize(): the fields listed in expected.json.

Regenerate the corpus with tests/data/email/make_corpus.py (the .eml bytes are committed).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from channels.base import BadSubmission
from channels.blobs import MemoryBlobStore, blob_key
from channels.email.submission import mail_native_id, store_mail
from normalizer.config import NormalizerConfig
from normalizer.event import ComplaintEvent
from normalizer.pipeline import normalize
from tests.normalizer.conftest import CHANNEL_STEPS

CORPUS = Path(__file__).parents[1] / "data" / "email"
EXPECTED: dict[str, dict[str, Any]] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
RECEIVED = datetime(2026, 11, 23, 7, 5, tzinfo=UTC)


def normalize_mail(name: str, config: NormalizerConfig) -> tuple[ComplaintEvent, MemoryBlobStore]:
    blobs = MemoryBlobStore()
    raw = store_mail(blobs, (CORPUS / name).read_bytes(), native_id=mail_native_id("claims", 7, 1),
                     received_at=RECEIVED, origin={"mailbox": "claims", "uidvalidity": 7, "uid": 1})
    return normalize(raw, config=config, channel_steps=CHANNEL_STEPS, blobs=blobs), blobs


def test_corpus_is_complete() -> None:
    files = {path.name for path in CORPUS.glob("*.eml")}
    assert files == set(EXPECTED)
    assert len(files) >= 40


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_mail(name: str, corpus_config: NormalizerConfig) -> None:
    expected = EXPECTED[name]
    if "error" in expected:
        with pytest.raises(BadSubmission, match=expected["error"]):
            normalize_mail(name, corpus_config)
        return
    event, blobs = normalize_mail(name, corpus_config)
    data = (CORPUS / name).read_bytes()

    assert event.channel == "email" and event.text
    assert event.auto_generated is expected.get("auto_generated", False)
    assert event.auto_kind == expected.get("auto_kind")
    for field in ("subject", "text", "display_name", "category", "language"):
        if field in expected:
            assert getattr(event, field) == expected[field], field
    for fragment in expected.get("text_contains", []):
        assert fragment in event.text
    for fragment in expected.get("text_not_contains", []):
        assert fragment not in event.text
    for field in ("emails", "phones", "contract_numbers", "account_numbers"):
        if field in expected:
            assert getattr(event.identities, field) == expected[field], field
    if "thread_refs" in expected:
        assert sorted(event.thread_refs) == sorted(expected["thread_refs"])
    assert set(expected.get("thread_refs_contains", [])) <= set(event.thread_refs)
    if expected.get("content_id") == "blob":
        assert event.content_id == blob_key(data)
    elif "content_id" in expected:
        assert event.content_id == expected["content_id"]
    _check_reply_to(event, expected)
    _check_attachments(event, blobs, expected)


def _check_reply_to(event: ComplaintEvent, expected: dict[str, Any]) -> None:
    if event.auto_generated or event.category == "fax":
        assert event.reply_to is None  # robots and fax gateways are never answered
    if "reply_to" not in expected:
        return
    if expected["reply_to"] is None:
        assert event.reply_to is None
        return
    assert event.reply_to is not None
    for field, value in expected["reply_to"].items():
        assert getattr(event.reply_to, field) == value, field
    assert event.reply_to.subject == event.subject


def _check_attachments(event: ComplaintEvent, blobs: MemoryBlobStore, expected: dict[str, Any]) -> None:
    for attachment in event.attachments:
        stored = blobs.get(attachment.blob_key)  # every attachment is in the store, by content hash
        assert len(stored) == attachment.size and blob_key(stored) == attachment.blob_key
    if "attachments" not in expected:
        return
    assert len(event.attachments) == len(expected["attachments"])
    for got, want in zip(event.attachments, expected["attachments"], strict=True):
        for field, value in want.items():
            assert getattr(got, field) == value, field

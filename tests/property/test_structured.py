"""Properties of the structured channels (phone form, web feedback: channels/phone.py, channels/web.py) and their
normalizer step (normalizer/structured.py): any form is a submission or BadSubmission, and a submission always
normalises to a valid event carrying the typed text and a clean, E.164 phone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from channels.base import BadSubmission, Channel
from channels.phone import parse_phone_form
from channels.web import parse_feedback
from normalizer.cleanup import MAX_TEXT_CHARS, clean_text
from normalizer.config import NormalizerConfig
from normalizer.event import ComplaintEvent
from normalizer.pipeline import normalize
from normalizer.structured import structured_fields
from router.directory_import.cells import email_address
from tests.property.strategies import INVISIBLE, addresses, hostile_text, json_trees, sometimes
from tests.property.test_phones import written_numbers

RECEIVED = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
STEPS = {Channel.PHONE: structured_fields, Channel.WEB: structured_fields}
texts = st.one_of(hostile_text, st.text(min_size=1, max_size=300))

phone_forms = st.fixed_dictionaries({"text": sometimes(texts)}, optional={
    "caller_phone": sometimes(st.one_of(written_numbers().map(lambda p: p[1]), hostile_text)),
    "caller_name": sometimes(hostile_text), "subject": sometimes(hostile_text), "category": sometimes(hostile_text),
    "client_id": sometimes(st.integers(1, 2**31)), "contract_number": sometimes(st.from_regex(r"\A\d{2}-\d{6}\Z")),
})
web_forms = st.fixed_dictionaries({"text": sometimes(texts)}, optional={
    "phone": sometimes(st.one_of(written_numbers().map(lambda p: p[1]), hostile_text)),
    "email": sometimes(st.one_of(addresses, hostile_text)), "name": sometimes(hostile_text),
    "subject": sometimes(hostile_text), "contract_number": sometimes(hostile_text),
    "account_number": sometimes(hostile_text), "category": sometimes(hostile_text),
})


def check(event: ComplaintEvent, form: dict[str, Any]) -> None:
    assert ComplaintEvent.model_validate_json(event.model_dump_json()) == event
    assert event.text and len(event.text) <= MAX_TEXT_CHARS
    assert clean_text(form["text"].strip())[:100] in event.text
    for phone in event.identities.phones:
        assert phone.startswith("+") and phone[1:].isdigit()
    for _kind, value in event.identities.pairs():
        assert not set(INVISIBLE) & set(value)


@given(st.one_of(json_trees, phone_forms))
def test_phone_form_is_a_valid_event_or_refused(form: Any) -> None:
    try:
        raw = parse_phone_form(form, idempotency_key=str(uuid.uuid4()), operator_id="op", received_at=RECEIVED)
    except BadSubmission:
        return
    try:
        event = normalize(raw, config=NormalizerConfig(), channel_steps=STEPS)
    except BadSubmission:
        assert not clean_text(raw.payload["text"])  # refused only for a text that is blank after cleanup
        return
    check(event, form)
    if isinstance(form.get("client_id"), int):
        assert event.identities.client_id == form["client_id"]


@given(st.one_of(json_trees, web_forms))
def test_web_feedback_is_a_valid_event_or_refused(form: Any) -> None:
    try:
        raw = parse_feedback(form, idempotency_key=str(uuid.uuid4()), api_client="lk", received_at=RECEIVED)
    except BadSubmission:
        return
    try:
        event = normalize(raw, config=NormalizerConfig(), channel_steps=STEPS)
    except BadSubmission:
        assert not clean_text(raw.payload["text"])
        return
    check(event, form)
    if isinstance(form.get("email"), str):
        # In the form the directory stores it in (both go through pydantic's e-mail validation, which writes an
        # IDNA domain such as xn--p1ai in Unicode, рф), so the two match.
        assert email_address(form["email"]) in event.identities.emails

"""Step: copy the fields of structured channels (phone form, web feedback) into the draft."""

from __future__ import annotations

from channels.base import BadSubmission
from normalizer.draft import Draft, add_unique
from normalizer.phones import to_e164


def structured_fields(draft: Draft) -> None:
    payload = draft.raw.payload
    text = payload.get("text")
    if not isinstance(text, str) or not text.strip():
        raise BadSubmission(f"{draft.raw.channel} submission has no complaint text")
    draft.text = text
    draft.subject = payload.get("subject") or None
    draft.display_name = payload.get("name") or payload.get("caller_name") or None
    draft.category = payload.get("category") or None
    ids = draft.identities
    if isinstance(payload.get("client_id"), int):
        ids.client_id = payload["client_id"]
    add_unique(ids.contract_numbers, payload.get("contract_number"))
    add_unique(ids.account_numbers, payload.get("account_number"))
    add_unique(ids.emails, (payload.get("email") or "").strip().lower() or None)
    for key in ("phone", "caller_phone"):
        add_unique(ids.phones, to_e164(payload.get(key)))

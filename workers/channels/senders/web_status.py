"""The personal account's feedback has no push channel: a reply is published in the submission's status
(GET /api/v1/submissions/{id}), which the personal account shows the client."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from workers.channels.senders.base import DeliveryResult, Reply

CHANNEL = "web"
DETAIL = "опубликовано в статусе обращения в личном кабинете"


class WebStatusSender:
    channel = CHANNEL

    def record(self, session: Session, replies: Sequence[Reply]) -> list[DeliveryResult]:
        # The delivery row (written by the deliver worker) is the publication: the status reads it.
        return [DeliveryResult("sent", self.channel, None, DETAIL) for _ in replies]

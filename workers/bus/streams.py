"""Every JetStream stream and subject of the gateway, declared in one place."""

from __future__ import annotations

from dataclasses import dataclass

from faststream.nats import JStream
from nats.js.api import StorageType

from channels.base import Channel
from router.outbox import ATTACHMENTS_SUBJECT, NOTICES_SUBJECT, OUTBOUND_PREFIX, TICKET_EVENTS_PREFIX

INTAKE_PREFIX = "intake.raw"
COMPLAINTS_SUBJECT = "complaints.normalized"
SHUNT_PREFIX = "shunt"
# Core NATS (not stored): the router nudges the relay after a commit so acks leave at once.
OUTBOX_WAKE_SUBJECT = "_complaints.outbox.wake"

DAY = 24 * 3600.0


def intake_subject(channel: Channel | str) -> str:
    return f"{INTAKE_PREFIX}.{Channel(channel).value}"


def shunt_subject(stage: str) -> str:
    return f"{SHUNT_PREFIX}.{stage}"


@dataclass(frozen=True)
class Streams:
    intake: JStream
    complaints: JStream
    outbound: JStream
    tickets: JStream
    shunt: JStream
    attachments: JStream
    notices: JStream

    def all(self) -> tuple[JStream, ...]:
        return (self.intake, self.complaints, self.outbound, self.tickets, self.shunt, self.attachments,
                self.notices)


def declare_streams(duplicate_window: float, replicas: int = 1) -> Streams:
    def stream(name: str, subject: str, max_age_days: float, description: str) -> JStream:
        return JStream(
            name=name,
            subjects=[subject],
            description=description,
            storage=StorageType.FILE,
            num_replicas=replicas,
            duplicate_window=duplicate_window,
            max_age=max_age_days * DAY,
            declare=False,  # declared (and updated) by workers.app.runtime.declare_all_streams
        )

    return Streams(
        intake=stream("INTAKE", f"{INTAKE_PREFIX}.*", 30, "RawSubmission per channel, as received"),
        complaints=stream("COMPLAINTS", COMPLAINTS_SUBJECT, 30, "Normalized ComplaintEvent"),
        outbound=stream("OUTBOUND", f"{OUTBOUND_PREFIX}.*", 30, "Replies to clients, per channel"),
        tickets=stream("TICKETS", f"{TICKET_EVENTS_PREFIX}.*", 90, "TicketEvent for ticket systems"),
        # Quarantine is kept until replayed or purged by staff.
        shunt=stream("SHUNT", f"{SHUNT_PREFIX}.*", 3650, "Messages no stage could process, with reason"),
        attachments=stream("ATTACHMENTS", ATTACHMENTS_SUBJECT, 30, "Platform files to fetch into the blob store"),
        notices=stream("NOTICES", NOTICES_SUBJECT, 30, "Alerts to staff, emailed when SMTP is configured"),
    )



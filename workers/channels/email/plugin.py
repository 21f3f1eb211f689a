"""The email channel: IMAP intake process, SMTP replies."""

from __future__ import annotations

from channels.base import Channel
from normalizer.email import email_message
from workers.channels.plugin import ChannelPlugin, IntakeProcess, Ref

INTAKE_STAGE = "email_intake"  # SHUNT records of the IMAP intake

EMAIL = ChannelPlugin(
    Channel.EMAIL,
    "Электронная почта",
    settings_fields=("email_mailboxes", "smtp", "email_limits", "email_reply_cap_per_day", "fax_gateway_senders"),
    configured=lambda s: bool(s.email_mailboxes) or s.smtp is not None,
    normalizer_step=email_message,
    intake=IntakeProcess(Ref("workers.channels.email.process:EmailProcess"), lambda s: bool(s.email_mailboxes)),
    sender=Ref("workers.channels.email.sender:from_settings"),
    shunt_stages={INTAKE_STAGE: "Приём почты (IMAP)"},
)

"""Email normalization: one raw RFC 5322 mail (claim-check blob) -> the fields of a ComplaintEvent."""

from normalizer.email.step import email_message

__all__ = ["email_message"]

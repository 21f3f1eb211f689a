"""The email channel: IMAP IDLE intake, raw mail to the blob store, threaded SMTP replies."""

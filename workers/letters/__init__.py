"""Answers by letter: a reply with no electronic way back is rendered as a Russian business letter (PDF) and
queued for the post room (router.models.OutgoingLetter)."""

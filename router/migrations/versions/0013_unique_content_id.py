"""submissions: the content id is unique per channel

The dedup of the same content under a new event id (a mail's Message-ID after an IMAP UIDVALIDITY change, a
chat message redelivered under a new id) was a read-then-insert: two route replicas on PostgreSQL that routed
the same content at once both read "not seen" and both made a ticket. The unique index makes the second one
fail on the key; the route stage retries it and finds it a duplicate.

Rows from before the index that repeat a content id keep it only on the earliest (the one the later copies
were threaded to); the later copies lose the content id, nothing else.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 22:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEX = "ix_submissions_channel_content"

KEEP_ONLY_THE_EARLIEST = sa.text(
    "UPDATE submissions SET content_id = NULL"
    " WHERE content_id IS NOT NULL AND EXISTS ("
    "  SELECT 1 FROM submissions AS earlier"
    "  WHERE earlier.channel = submissions.channel AND earlier.content_id = submissions.content_id"
    "   AND (earlier.routed_at < submissions.routed_at"
    "        OR (earlier.routed_at = submissions.routed_at AND earlier.id < submissions.id)))"
)


def upgrade() -> None:
    op.execute(KEEP_ONLY_THE_EARLIEST)
    op.drop_index(INDEX, table_name="submissions")
    op.create_index(INDEX, "submissions", ["channel", "content_id"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="submissions")
    op.create_index(INDEX, "submissions", ["channel", "content_id"], unique=False)

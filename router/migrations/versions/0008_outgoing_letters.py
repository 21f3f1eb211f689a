"""answers by letter: the outgoing-post queue

outgoing_letters: a reply with no electronic way back (post, fax), rendered as a PDF letter into the blob
store, one row per reply (unique outbox id), waiting for the post room to mark it sent (indexed by status).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 16:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outgoing_letters",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("blob_key", sa.String(length=80), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("outbox_id"),
    )
    op.create_index("ix_outgoing_letters_ticket_id", "outgoing_letters", ["ticket_id"])
    op.create_index("ix_outgoing_letters_status", "outgoing_letters", ["status"])


def downgrade() -> None:
    op.drop_index("ix_outgoing_letters_status", table_name="outgoing_letters")
    op.drop_index("ix_outgoing_letters_ticket_id", table_name="outgoing_letters")
    op.drop_table("outgoing_letters")

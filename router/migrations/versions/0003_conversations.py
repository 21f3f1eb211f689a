"""chat conversations on tickets

tickets.conversation: "<channel>:<peer or chat id>" for VK, OK and Telegram tickets, so the next
message of the same chat continues the open ticket, and a social account linked later to a client
moves the chat's queue tickets to the personal manager.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 23:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("conversation", sa.String(length=128), nullable=True))
        batch.create_index("ix_tickets_conversation_status", ["conversation", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_conversation_status")
        batch.drop_column("conversation")

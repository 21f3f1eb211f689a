"""tickets routed to a manager start at primary review; call-back tasks name the preferred contact

Routing used to leave every new ticket at "registered"; a ticket with a personal manager now goes on
to primary_review at once (the history shows both stages). Tickets already stored that way move too,
with the manager as the one who holds them, so the review process treats old and new alike.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 15:20:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("callback_tasks") as batch:
        batch.add_column(sa.Column("preferred_channel", sa.String(length=16), nullable=True))
    tickets = sa.table("tickets", sa.column("stage", sa.String), sa.column("assignee_login", sa.String),
                       sa.column("handler_login", sa.String), sa.column("status", sa.String))
    op.execute(
        tickets.update()
        .where(tickets.c.stage == "registered", tickets.c.assignee_login.is_not(None), tickets.c.status == "open")
        .values(stage="primary_review", handler_login=sa.func.coalesce(tickets.c.handler_login,
                                                                       tickets.c.assignee_login))
    )


def downgrade() -> None:
    # The stage is a fact of the ticket's history: it stays.
    with op.batch_alter_table("callback_tasks") as batch:
        batch.drop_column("preferred_channel")

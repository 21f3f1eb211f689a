"""the review process

tickets: the deep review's department, who holds the ticket now (handler_login), the first response
(acknowledged_at) and the answer (resolved_at), waiting for the client, waiting for the director,
the review round (after a dispute). ticket_departments: the departments that had the ticket in deep
review (their heads keep access). ticket_decisions: conclusions, proposals, decisions, measures.
recommendations: company-wide process fixes from deep reviews, followed up until done.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 13:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("department", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("handler_login", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("waiting_for_client", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("director_pending", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("review_round", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "ticket_departments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ticket_id", "department", name="uq_ticket_department"),
    )
    op.create_index("ix_ticket_departments_ticket_id", "ticket_departments", ["ticket_id"])
    op.create_index("ix_ticket_departments_department", "ticket_departments", ["department"])
    op.create_table(
        "ticket_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("founded", sa.Boolean(), nullable=True),
        sa.Column("causes", sa.Text(), nullable=True),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("recommendations", sa.JSON(), nullable=False),
        sa.Column("culprits_measures", sa.Text(), nullable=True),
        sa.Column("measures_approved_by", sa.String(length=64), nullable=True),
        sa.Column("measures_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_director", sa.Boolean(), nullable=False),
        sa.Column("urgent_measures", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("re_reviewed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ticket_decisions_ticket_id", "ticket_decisions", ["ticket_id"])
    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.ForeignKeyConstraint(["decision_id"], ["ticket_decisions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recommendations_ticket_id", "recommendations", ["ticket_id"])
    op.create_index("ix_recommendations_status", "recommendations", ["status"])


def downgrade() -> None:
    op.drop_index("ix_recommendations_status", table_name="recommendations")
    op.drop_index("ix_recommendations_ticket_id", table_name="recommendations")
    op.drop_table("recommendations")
    op.drop_index("ix_ticket_decisions_ticket_id", table_name="ticket_decisions")
    op.drop_table("ticket_decisions")
    op.drop_index("ix_ticket_departments_department", table_name="ticket_departments")
    op.drop_index("ix_ticket_departments_ticket_id", table_name="ticket_departments")
    op.drop_table("ticket_departments")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("review_round")
        batch.drop_column("director_pending")
        batch.drop_column("waiting_for_client")
        batch.drop_column("resolved_at")
        batch.drop_column("acknowledged_at")
        batch.drop_column("handler_login")
        batch.drop_column("department")


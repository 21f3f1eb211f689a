"""identity claims of chat accounts

identity_claims: a chat account named a client's contract or phone without proof; the ticket stays in the
queue, marked, until the one-time code emailed to the client comes back (only its hash, expiry and attempts
are stored) or staff confirm or reject the claim.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_claims",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=36), nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("account_kind", sa.String(length=16), nullable=False),
        sa.Column("account_value", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("code_hash", sa.String(length=200), nullable=True),
        sa.Column("code_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sa.String(length=64), nullable=True),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_identity_claims_account", "identity_claims", ["account_kind", "account_value", "created_at"])
    op.create_index("ix_identity_claims_ticket_status", "identity_claims", ["ticket_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_identity_claims_ticket_status", table_name="identity_claims")
    op.drop_index("ix_identity_claims_account", table_name="identity_claims")
    op.drop_table("identity_claims")

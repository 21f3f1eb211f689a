"""files fetched from the platforms

fetched_attachments: photos and documents a VK message referenced, fetched into the blob store by the
attachments worker (or the reason they were not).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 23:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fetched_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("size", sa.Integer(), nullable=True),
        sa.Column("blob_key", sa.String(length=80), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id", "url", name="uq_fetched_attachment"),
    )
    op.create_index("ix_fetched_attachments_submission_id", "fetched_attachments", ["submission_id"])
    op.create_index("ix_fetched_attachments_ticket_id", "fetched_attachments", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_fetched_attachments_ticket_id", table_name="fetched_attachments")
    op.drop_index("ix_fetched_attachments_submission_id", table_name="fetched_attachments")
    op.drop_table("fetched_attachments")

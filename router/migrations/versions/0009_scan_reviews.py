"""scanned letters waiting for a person to confirm the sender

scan_reviews: one row per ticket made from a scan whose client the machine could not confirm (no exact
contract or account number with a matching name, or a low OCR confidence): the extracted fields, the
ranked candidates and the page images, until staff confirm the client in «Проверка скана».

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 16:10:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scan_reviews",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mean_confidence", sa.Float(), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("page_keys", sa.JSON(), nullable=False),
        sa.Column("blob_key", sa.String(length=80), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_scan_reviews_status", "scan_reviews", ["status"])


def downgrade() -> None:
    op.drop_index("ix_scan_reviews_status", table_name="scan_reviews")
    op.drop_table("scan_reviews")

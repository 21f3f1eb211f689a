"""the REST API's Idempotency-Key records move to JetStream

api_requests is dropped: the web edge records each Idempotency-Key in the API_REQUESTS key-value bucket
(workers.bus.request_records) with one atomic create, so a request no longer waits for the database's
write lock behind the workers.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 21:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("api_requests")


def downgrade() -> None:
    op.create_table(
        "api_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("api_client", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("submission_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("api_client", "idempotency_key", name="uq_api_request_key"),
    )

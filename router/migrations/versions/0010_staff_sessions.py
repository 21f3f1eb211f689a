"""server-side staff sessions and login attempts

staff_sessions: one row per staff login; the signed cookie holds only its id, and logout, a password change
or deactivation revokes it (revoked_at). login_attempts: every try at the login form, read over a time window
(per login and per address) to throttle password guessing.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:50:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.String(length=64), primary_key=True),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_sessions_login", "staff_sessions", ["login"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_login_attempts_login_at", "login_attempts", ["login", "at"])
    op.create_index("ix_login_attempts_address_at", "login_attempts", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_address_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_login_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_index("ix_staff_sessions_login", table_name="staff_sessions")
    op.drop_table("staff_sessions")

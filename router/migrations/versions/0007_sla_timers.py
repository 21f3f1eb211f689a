"""the clocks act: sla timers, the dispute's re-review clock, the pause while waiting for the client

sla_timers: one row per (ticket, clock, level) with the moment it fires; the sla worker reads the next due
ones through a partial index on fire_at (only unfired rows) and claims each with a conditional UPDATE.
Open tickets already stored get their timers here, so nothing that was running before goes unwatched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 15:45:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("dispute_due", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "sla_timers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("clock", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("fire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=True),
        sa.UniqueConstraint("ticket_id", "clock", "level", name="uq_sla_timers_ticket_clock_level"),
    )
    op.create_index("ix_sla_timers_due", "sla_timers", ["fire_at"], sqlite_where=sa.text("fired_at IS NULL"),
                    postgresql_where=sa.text("fired_at IS NULL"))
    # Open tickets of before: a breach timer per running clock at its stored due moment (their warnings
    # would need the calendar, which a migration does not have; the breach is what must not be missed).
    for clock, column, running in (
        ("first_response", "first_response_due", "acknowledged_at IS NULL"),
        ("resolution", "resolution_due", "resolved_at IS NULL"),
        ("legal", "legal_due", "resolved_at IS NULL"),
    ):
        op.execute(
            f"INSERT INTO sla_timers (ticket_id, clock, level, fire_at) "  # noqa: S608 - constants only
            f"SELECT id, '{clock}', 'breach', {column} FROM tickets WHERE status = 'open' AND {running}"
        )


def downgrade() -> None:
    op.drop_index("ix_sla_timers_due", table_name="sla_timers")
    op.drop_table("sla_timers")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("paused_at")
        batch.drop_column("dispute_due")

"""Create the runs table (usage statistics of code execution).

Revision ID: 0001_runs
Revises:
Create Date: 2025-07-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_runs"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("example_id", sa.String(100), nullable=True),
        sa.Column("language", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("exit_code", sa.Integer, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("code_chars", sa.Integer, nullable=False),
        sa.Column("client", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("runs")

"""Index runs by time and example, for the admin dashboard's statistics.

Revision ID: 0002_runs_indexes
Revises: 0001_runs
Create Date: 2025-07-20
"""

from __future__ import annotations

from alembic import op

revision = "0002_runs_indexes"
down_revision = "0001_runs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_created_at", "runs", ["created_at"])
    op.create_index("ix_runs_example_id", "runs", ["example_id"])


def downgrade() -> None:
    op.drop_index("ix_runs_example_id", table_name="runs")
    op.drop_index("ix_runs_created_at", table_name="runs")

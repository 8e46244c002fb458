"""Global, never reused layer version numbers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """A sequence so that versions (and with them ETags) are never reused, even after deletion."""
    op.execute("CREATE SEQUENCE buergergis.layer_version_seq")


def downgrade() -> None:
    """Drop the sequence."""
    op.execute("DROP SEQUENCE buergergis.layer_version_seq")

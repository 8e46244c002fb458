"""Staff manage layers: soft delete, per-layer version numbers, server-side staff sessions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``layer.deleted_at/deleted_by``, ``layer_version.number`` and ``staff_session``."""
    op.add_column("layer", sa.Column("deleted_at", sa.DateTime(timezone=True)), schema="buergergis")
    op.add_column("layer", sa.Column("deleted_by", sa.Text), schema="buergergis")
    op.add_column("layer_version", sa.Column("number", sa.Integer), schema="buergergis")
    op.execute(
        "UPDATE buergergis.layer_version v SET number = n.number FROM ("
        " SELECT layer_id, version,"
        " row_number() OVER (PARTITION BY layer_id ORDER BY version) AS number"
        " FROM buergergis.layer_version) n"
        " WHERE n.layer_id = v.layer_id AND n.version = v.version"
    )
    op.create_table(
        "staff_session",
        sa.Column("id_hash", sa.Text, primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("buergergis.account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column(
            "last_seen", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        schema="buergergis",
    )


def downgrade() -> None:
    """Drop the session table and the added columns."""
    op.drop_table("staff_session", schema="buergergis")
    op.drop_column("layer_version", "number", schema="buergergis")
    op.drop_column("layer", "deleted_by", schema="buergergis")
    op.drop_column("layer", "deleted_at", schema="buergergis")

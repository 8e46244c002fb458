"""City services: Kaufanfragen for wood lots and the change log behind the Atom feeds.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``kaufanfrage`` (citizens' purchase requests), ``feature_change`` and ``feed_state``."""
    op.create_table(
        "kaufanfrage",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("layer_id", sa.Text, nullable=False),
        sa.Column("fid", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kontakt", sa.Text, nullable=False),
        sa.Column("nachricht", sa.Text, nullable=False, server_default=""),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("status", sa.Text, nullable=False, server_default="neu"),
        sa.Column("bearbeitet_von", sa.Text),
        sa.Column("bearbeitet_at", sa.DateTime(timezone=True)),
        sa.Column("ergebnis", sa.Text),
        sa.CheckConstraint("status IN ('neu', 'bearbeitet')", name="kaufanfrage_status"),
        sa.CheckConstraint("length(name) BETWEEN 2 AND 200", name="kaufanfrage_name"),
        sa.CheckConstraint("length(kontakt) BETWEEN 5 AND 200", name="kaufanfrage_kontakt"),
        sa.CheckConstraint("length(nachricht) <= 2000", name="kaufanfrage_nachricht"),
        schema="buergergis",
    )
    op.create_index(
        "kaufanfrage_open",
        "kaufanfrage",
        ["status", sa.text("created_at DESC")],
        schema="buergergis",
    )
    op.create_index("kaufanfrage_lot", "kaufanfrage", ["layer_id", "fid"], schema="buergergis")
    op.create_table(
        "feature_change",
        sa.Column("layer_id", sa.Text, primary_key=True),
        sa.Column("fid", sa.Text, primary_key=True),
        sa.Column("first_version", sa.Integer, nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_version", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_hash", sa.Text, nullable=False),
        schema="buergergis",
    )
    op.create_index(
        "feature_change_recent",
        "feature_change",
        ["layer_id", sa.text("changed_at DESC"), sa.text("changed_version DESC")],
        schema="buergergis",
    )
    op.create_table(
        "feed_state",
        sa.Column("layer_id", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        schema="buergergis",
    )


def downgrade() -> None:
    """Drop the service tables."""
    op.drop_table("feed_state", schema="buergergis")
    op.drop_table("feature_change", schema="buergergis")
    op.drop_table("kaufanfrage", schema="buergergis")

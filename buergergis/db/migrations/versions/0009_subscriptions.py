"""E-mail subscriptions to new features of a layer (issue 16): double opt-in, one-click unsubscribe.

``subscription`` holds only what delivery needs: the layer, the address, the language, the
random token of the links in the mails (confirm, unsubscribe), when it was confirmed and up to
which layer version the subscriber has been told. Unsubscribing deletes the row; unconfirmed rows are
deleted after a few days (``buergergis abo benachrichtigen``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create ``buergergis.subscription``."""
    op.create_table(
        "subscription",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "layer_id",
            sa.Text,
            sa.ForeignKey("buergergis.layer.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("email", sa.Text, nullable=False),
        sa.Column("lang", sa.Text, nullable=False, server_default="de"),
        sa.Column("token", sa.Text, nullable=False, unique=True),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("confirmed_at", TS),
        sa.Column("seen_version", sa.BigInteger, nullable=False, server_default="0"),
        sa.UniqueConstraint("layer_id", "email", name="subscription_layer_email"),
        sa.CheckConstraint("lang IN ('de', 'en')", name="subscription_lang"),
        schema="buergergis",
    )


def downgrade() -> None:
    """Drop ``buergergis.subscription``."""
    op.drop_table("subscription", schema="buergergis")

"""Staff area: accounts, API tokens and the audit log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """``account`` (argon2 hashes), ``api_token`` (SHA-256 of the token) and ``audit_log``."""
    op.create_table(
        "account",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("last_login", sa.DateTime(timezone=True)),
        sa.CheckConstraint("role IN ('editor', 'admin')", name="account_role"),
        sa.CheckConstraint("name ~ '^[a-z][a-z0-9._-]{1,39}$'", name="account_name"),
        schema="buergergis",
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column(
            "account_id",
            sa.Integer,
            sa.ForeignKey("buergergis.account.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("token_hash", sa.Text, nullable=False, unique=True),
        sa.Column("label", sa.Text, nullable=False, server_default=""),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("last_used", sa.DateTime(timezone=True)),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
        schema="buergergis",
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("layer_id", sa.Text),
        sa.Column("version", sa.Integer),
        sa.Column("counts", pg.JSONB, nullable=False, server_default="{}"),
        sa.Column("details", pg.JSONB, nullable=False, server_default="{}"),
        schema="buergergis",
    )
    op.create_index("audit_log_at", "audit_log", [sa.text("at DESC")], schema="buergergis")
    op.create_index("audit_log_layer", "audit_log", ["layer_id"], schema="buergergis")


def downgrade() -> None:
    """Drop the staff tables."""
    op.drop_table("audit_log", schema="buergergis")
    op.drop_table("api_token", schema="buergergis")
    op.drop_table("account", schema="buergergis")

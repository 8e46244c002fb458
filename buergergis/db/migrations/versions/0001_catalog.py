"""Layer catalog and layer versions.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Catalog tables in schema ``buergergis``; layer tables live in ``layerdata``, views in ``layers``."""
    op.execute("CREATE SCHEMA IF NOT EXISTS layerdata")
    op.execute("CREATE SCHEMA IF NOT EXISTS layers")
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public")
    op.create_table(
        "layer",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("definition", pg.JSONB, nullable=False),
        sa.Column("origin", sa.Text, nullable=False, server_default="yaml"),
        sa.Column("public", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("version", sa.Integer, nullable=False, server_default="0"),
        sa.Column("feature_count", sa.BigInteger),
        sa.Column("geometry_type", sa.Text),
        sa.Column("bbox", pg.ARRAY(sa.Float)),
        sa.Column("storage_srid", sa.Integer),
        sa.Column("source_checksum", sa.Text),
        sa.Column("loaded_at", sa.DateTime(timezone=True)),
        sa.Column("report", pg.JSONB),
        sa.Column("data_table", sa.Text),
        sa.Column("raster_path", sa.Text),
        sa.CheckConstraint("kind IN ('vector', 'raster')", name="layer_kind"),
        sa.CheckConstraint("origin IN ('yaml', 'import', 'upload')", name="layer_origin"),
        schema="buergergis",
    )
    op.create_table(
        "layer_version",
        sa.Column(
            "layer_id",
            sa.Text,
            sa.ForeignKey("buergergis.layer.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("created_by", sa.Text, nullable=False, server_default="system"),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("definition", pg.JSONB, nullable=False),
        sa.Column("feature_count", sa.BigInteger),
        sa.Column("geometry_type", sa.Text),
        sa.Column("bbox", pg.ARRAY(sa.Float)),
        sa.Column("source_checksum", sa.Text),
        sa.Column("report", pg.JSONB),
        sa.Column("data_table", sa.Text),
        sa.Column("raster_path", sa.Text),
        sa.Column("kept", sa.Boolean, nullable=False, server_default=sa.true()),
        schema="buergergis",
    )
    op.execute("""
        CREATE FUNCTION buergergis.immutable_unaccent(text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
        AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
    """)


def downgrade() -> None:
    """Drop the catalog (layer data schemas are left alone)."""
    op.execute("DROP FUNCTION IF EXISTS buergergis.immutable_unaccent(text)")
    op.drop_table("layer_version", schema="buergergis")
    op.drop_table("layer", schema="buergergis")

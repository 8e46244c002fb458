"""Search index: one row per searchable feature of every live vector layer.

``search_entry`` is rewritten for a layer inside the transaction that makes a new version
live (``store.versions.record_version`` → ``store.search_index.refresh``), so it never lags
behind and never mixes versions. ``search_fold`` is the one normalisation of indexed text and
queries: lower case, accents and umlauts folded both ways (``ü``/``ue``/``u`` → ``u``),
``straße``/``strasse`` → ``str``, punctuation → space.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FOLD = r"""
CREATE FUNCTION buergergis.search_fold(t text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT btrim(regexp_replace(regexp_replace(
    replace(replace(replace(buergergis.immutable_unaccent(lower(t)), 'ae', 'a'), 'oe', 'o'), 'ue', 'u'),
    'strasse\M', 'str', 'g'), '[^[:alnum:]]+', ' ', 'g'))
$$
"""

TABLE = """
CREATE TABLE buergergis.search_entry (
  layer_id text NOT NULL REFERENCES buergergis.layer (id) ON DELETE CASCADE,
  version integer NOT NULL,
  fid text NOT NULL,
  label text NOT NULL,
  label_key text NOT NULL,
  doc text NOT NULL,
  field_names text[] NOT NULL,
  field_values text[] NOT NULL,
  detail text,
  point geometry(Point, 4326),
  bbox double precision[],
  PRIMARY KEY (layer_id, fid)
)
"""


def upgrade() -> None:
    """Fold function, table, trigram and prefix indexes."""
    op.execute(FOLD)
    op.execute(TABLE)
    op.execute(
        "CREATE INDEX search_entry_doc ON buergergis.search_entry USING gin (doc public.gin_trgm_ops)"
    )
    op.execute(
        "CREATE INDEX search_entry_label ON buergergis.search_entry (label_key text_pattern_ops)"
    )
    # Filled for the layers already live by 0007 (which partitions the table by layer).


def downgrade() -> None:
    """Drop table and function."""
    op.execute("DROP TABLE buergergis.search_entry")
    op.execute("DROP FUNCTION buergergis.search_fold(text)")

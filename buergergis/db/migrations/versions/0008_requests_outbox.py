"""Requests for every service layer, the mail outbox, single-use form tokens, rate counters.

``anfrage`` replaces ``kaufanfrage`` (its rows are copied with their reference numbers):
one table for Kaufanfragen, Anmeldungen (with waiting list), Vormerkungen and Bewerbungen,
with the reference number, a hash of the citizen's status secret and the date it is due for
deletion (``purge_after``). ``mail_outbox`` is written in the same transaction as a request and
emptied by ``buergergis mail send``. ``form_token_used`` makes a form token single-use;
``rate_counter`` counts submissions per address and window in PostgreSQL so the limit holds
across all worker processes.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the tables and move the Kaufanfragen over."""
    op.create_table(
        "anfrage",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("reference", sa.Text, nullable=False, unique=True),
        sa.Column("secret_hash", sa.Text, nullable=False),
        sa.Column("layer_id", sa.Text, nullable=False),
        sa.Column("fid", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kontakt", sa.Text, nullable=False),
        sa.Column("email", sa.Text),
        sa.Column("teilnehmer", sa.Text),
        sa.Column("anliegen", sa.Text),
        sa.Column("nachricht", sa.Text, nullable=False, server_default=""),
        sa.Column("anhang", sa.Text),
        sa.Column("anhang_name", sa.Text),
        sa.Column("warteliste", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("status", sa.Text, nullable=False, server_default="neu"),
        sa.Column("bearbeitet_von", sa.Text),
        sa.Column("bearbeitet_at", TS),
        sa.Column("ergebnis", sa.Text),
        sa.Column("purge_after", TS),
        sa.CheckConstraint("status IN ('neu', 'bearbeitet')", name="anfrage_status"),
        sa.CheckConstraint("length(name) BETWEEN 2 AND 200", name="anfrage_name"),
        sa.CheckConstraint("length(kontakt) BETWEEN 5 AND 200", name="anfrage_kontakt"),
        sa.CheckConstraint("length(nachricht) <= 10000", name="anfrage_nachricht"),
        schema="buergergis",
    )
    op.create_index(
        "anfrage_open", "anfrage", ["status", sa.text("created_at DESC")], schema="buergergis"
    )
    op.create_index("anfrage_feature", "anfrage", ["layer_id", "fid"], schema="buergergis")
    op.create_index("anfrage_purge", "anfrage", ["purge_after"], schema="buergergis")
    op.execute(
        "INSERT INTO buergergis.anfrage (id, reference, secret_hash, layer_id, fid, kind, name,"
        " kontakt, nachricht, created_at, status, bearbeitet_von, bearbeitet_at, ergebnis,"
        " purge_after) OVERRIDING SYSTEM VALUE"
        " SELECT id, 'HV-' || extract(year FROM created_at)::int || '-' || lpad(id::text, 6, '0'),"
        " '', layer_id, fid, 'kaufanfrage', name, kontakt, nachricht, created_at, status,"
        " bearbeitet_von, bearbeitet_at, ergebnis,"
        " CASE WHEN bearbeitet_at IS NOT NULL THEN bearbeitet_at + interval '90 days' END"
        " FROM buergergis.kaufanfrage"
    )
    op.execute(
        "SELECT setval(pg_get_serial_sequence('buergergis.anfrage', 'id'),"
        " greatest((SELECT max(id) FROM buergergis.anfrage), 0) + 1, false)"
    )
    op.drop_table("kaufanfrage", schema="buergergis")
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "anfrage_id",
            sa.BigInteger,
            sa.ForeignKey("buergergis.anfrage.id", ondelete="CASCADE"),
        ),
        sa.Column("recipient", sa.Text, nullable=False),
        sa.Column("audience", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", TS, nullable=False, server_default=sa.func.now()),
        sa.Column("sent_at", TS),
        sa.Column("last_error", sa.Text),
        sa.CheckConstraint("audience IN ('staff', 'citizen')", name="mail_outbox_audience"),
        schema="buergergis",
    )
    op.create_index(
        "mail_outbox_due",
        "mail_outbox",
        ["next_attempt_at"],
        schema="buergergis",
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "form_token_used",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column("used_at", TS, nullable=False, server_default=sa.func.now()),
        schema="buergergis",
    )
    op.create_table(
        "rate_counter",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("window_start", TS, primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
        schema="buergergis",
    )


def downgrade() -> None:
    """Drop the new tables; an empty ``kaufanfrage`` comes back (requests are not copied)."""
    op.execute(
        "CREATE TABLE buergergis.kaufanfrage (id bigint GENERATED BY DEFAULT AS IDENTITY"
        " PRIMARY KEY, layer_id text NOT NULL, fid text NOT NULL, name text NOT NULL,"
        " kontakt text NOT NULL, nachricht text NOT NULL DEFAULT '', created_at timestamptz"
        " NOT NULL DEFAULT now(), status text NOT NULL DEFAULT 'neu', bearbeitet_von text,"
        " bearbeitet_at timestamptz, ergebnis text)"
    )
    op.drop_table("rate_counter", schema="buergergis")
    op.drop_table("form_token_used", schema="buergergis")
    op.drop_table("mail_outbox", schema="buergergis")
    op.drop_table("anfrage", schema="buergergis")

"""The SQLAlchemy engine: one per process, kept in ``app.extensions``."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event

from buergergis.db.health import OUTAGE
from buergergis.settings import Settings


def make_engine(settings: Settings, *, application_name: str = "buergergis") -> Engine:
    """Create the engine; ``pool_pre_ping`` lets the service recover when the DB comes back.

    ``hide_parameters``: errors and echo never show bind values, so personal data in a failing
    statement does not end up in the log."""
    engine = create_engine(
        settings.sqlalchemy_url(),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=True,
        pool_recycle=3600,
        hide_parameters=True,  # SQL parameters (names, e-mail addresses) never reach a log
        connect_args={
            "application_name": application_name,
            "connect_timeout": 5,
        },
    )

    @event.listens_for(engine, "connect")
    def _session_defaults(dbapi_conn, _record):
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET statement_timeout = {int(settings.statement_timeout_ms)}")
            cur.execute("SET jit = off")
        dbapi_conn.commit()
        OUTAGE.up()

    @event.listens_for(engine, "handle_error")
    def _terse(context):
        # PostgreSQL's DETAIL ("Failing row contains (…)", "Key (email)=(…)") repeats the
        # values of the statement; keep only the primary message in what gets logged. The
        # details stay on ``exc.diag`` for code that needs them.
        orig = context.original_exception
        primary = getattr(getattr(orig, "diag", None), "message_primary", None)
        if primary:
            orig.args = (primary,)
            wrapped = context.sqlalchemy_exception
            if wrapped is not None and wrapped.args:
                kind = f"{type(orig).__module__}.{type(orig).__name__}"
                wrapped.args = (f"({kind}) {primary}", *wrapped.args[1:])

    return engine

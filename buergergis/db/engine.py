"""The SQLAlchemy engine: one per process, kept in ``app.extensions``."""

from __future__ import annotations

from sqlalchemy import Engine, create_engine, event

from buergergis.db.health import OUTAGE
from buergergis.settings import Settings


def make_engine(settings: Settings, *, application_name: str = "buergergis") -> Engine:
    """Create the engine; ``pool_pre_ping`` lets the service recover when the DB comes back."""
    engine = create_engine(
        settings.sqlalchemy_url(),
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size,
        pool_pre_ping=True,
        pool_recycle=3600,
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

    return engine

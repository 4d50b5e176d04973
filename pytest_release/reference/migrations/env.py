"""Alembic environment for the reference deployment.

The app passes an open connection in ``config.attributes["connection"]``; running the
``alembic`` command by hand (with migrations/alembic.ini and ``-x url=...``) works too.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from pytest_release.reference.db import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies tables
    )
    with context.begin_transaction():
        context.run_migrations()


existing = config.attributes.get("connection")
if existing is not None:
    _run(existing)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("give the database with: alembic -x url=sqlite:///path/reference.db ...")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)

"""Migration scripts (a package so setuptools ships them; Alembic skips this file)."""

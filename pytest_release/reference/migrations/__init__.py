"""Alembic migrations of the reference deployment's database (a package so it ships)."""

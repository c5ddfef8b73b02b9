"""Alembic environment and revisions for Kefu's store."""

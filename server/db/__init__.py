"""Database access: engines, the declarative base, models and migrations."""

from server.db.engine import Database

__all__ = ["Database"]

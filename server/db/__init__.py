"""Database access: engines, the declarative base, transactions and what they touched. The tables
are the domains' own; server/models.py gathers them, server/migrations/ migrates them."""

from server.db.engine import Database

__all__ = ["Database"]

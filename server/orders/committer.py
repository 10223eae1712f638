"""Placeholder replaced by the group committer."""

from __future__ import annotations

from server.db import Database
from server.settings import Settings


class OrderCommitter:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db = db
        self.settings = settings

    async def close(self) -> None:
        return None

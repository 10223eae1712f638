"""Who may call a route, as its declaration says it: shorthands for a handler's `opt`, e.g.
@get("/", opt=STAFF). Plain data, below every package that declares routes (the audit log's
screen among them, which stands below auth); the auth middleware (server/auth/principal.py) reads
them from the handler and denies by default."""

from __future__ import annotations

ADMIN = {"roles": ("admin",)}
MANAGERS = {"roles": ("admin", "supervisor")}
STAFF = {"roles": ("admin", "supervisor", "warehouse")}
EVERYONE = {"roles": ("admin", "supervisor", "warehouse", "rider")}
PUBLIC = {"public": True}

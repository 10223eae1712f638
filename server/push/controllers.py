"""HTTP endpoints for web push: the server's public key, and each user's subscriptions per device."""

# No `from __future__ import annotations`: Litestar resolves these signatures at runtime.
import uuid
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from server.auth.principal import EVERYONE, Principal
from server.db import Database
from server.push import subscriptions
from server.push.alerts import PushService
from server.push.schemas import PushKeyOut, SubscriptionIn, SubscriptionOut

Db = NamedDependency[Database]
Caller = Request[Principal, Any, Any]


def _push(request: Caller) -> PushService:
    return request.app.state.push


class PushController(Controller):
    path = "/api/v1/push"
    tags = ["push"]

    @get("/key", opt=EVERYONE, summary="The server's VAPID public key, for PushManager.subscribe")
    async def key(self, request: Caller) -> PushKeyOut:
        vapid = await _push(request).vapid()
        return PushKeyOut(public_key=vapid.public_key)

    @post(
        "/subscriptions",
        opt=EVERYONE,
        status_code=201,
        summary="Register this browser's push subscription for the caller on this device",
    )
    async def subscribe(self, request: Caller, db: Db, data: JSONBody[SubscriptionIn]) -> SubscriptionOut:
        caller = request.user
        return await db.run_write(subscriptions.subscribe, caller.user_id, caller.device_id, data)

    @get("/subscriptions", opt=EVERYONE, summary="The caller's push subscriptions, on every device")
    async def list_subscriptions(self, request: Caller, db: Db) -> list[SubscriptionOut]:
        return await db.run_read(subscriptions.list_subscriptions, request.user.user_id)

    @delete("/subscriptions/{subscription_id:uuid}", opt=EVERYONE, summary="Stop pushes to one subscription")
    async def unsubscribe(self, request: Caller, db: Db, subscription_id: FromPath[uuid.UUID]) -> None:
        await db.run_write(subscriptions.unsubscribe, request.user.user_id, subscription_id)


push_routes: list[Any] = [PushController]

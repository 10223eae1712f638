"""What the push endpoints take and answer."""

import uuid
from datetime import datetime
from typing import Annotated

import msgspec


class PushKeys(msgspec.Struct):
    # The browser's P-256 public key: 65 bytes, uncompressed (0x04 first), base64url.
    p256dh: Annotated[str, msgspec.Meta(pattern=r"^B[A-Za-z0-9_\-]{86}=?$")]
    # 16 random bytes, base64url.
    auth: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-]{22}(==)?$")]


class SubscriptionIn(msgspec.Struct):
    """PushSubscription.toJSON() from the browser, as is."""

    # The browser's push service URL: printable ASCII, no spaces.
    endpoint: Annotated[str, msgspec.Meta(min_length=12, max_length=1024, pattern=r"^https?://[!-~]+$")]
    keys: PushKeys
    expirationTime: int | None = None  # the browser's own field name


class SubscriptionOut(msgspec.Struct):
    id: uuid.UUID
    device_id: uuid.UUID
    endpoint: str
    created_at: datetime
    last_sent_at: datetime | None


class PushKeyOut(msgspec.Struct):
    # The server's VAPID public key: the app passes it to PushManager.subscribe.
    public_key: str

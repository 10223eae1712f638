"""What every platform client shares: the shop's API settings, HTTP with back-off on rate limits,
token refresh, and the interface the rest of Bodega calls."""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Protocol

import httpx

from server.jobs import Retry

RATE_LIMIT_TRIES = 4  # in-call retries on a rate limit before the job itself is retried later
REFRESH_MARGIN = timedelta(minutes=5)


@dataclass(frozen=True)
class ShopApi:
    """One shop's connection to its platform (server/channels/models.py ShopConnection)."""

    shop_code: str
    platform: str
    base_url: str
    app_key: str = ""
    app_secret: str = ""
    access_token: str = ""
    refresh_token: str = ""
    token_expires_at: datetime | None = None
    external_shop_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict[str, Any])


@dataclass(frozen=True)
class StockPush:
    """One listing's absolute quantity to set on the platform."""

    item_id: str
    model_id: str
    channel_sku: str
    qty: int


class PlatformError(RuntimeError):
    """The platform refused a call (not a rate limit): code and message as it sent them."""

    def __init__(self, platform: str, code: str, message: str) -> None:
        super().__init__(f"{platform} error {code}: {message}")
        self.code = code


class AuthExpired(PlatformError):
    """The access token was refused: refresh it and try once more."""


class OrderSource(Protocol):
    """What webhook processing and polling need from a platform (chan-in's webhooks call this)."""

    async def fetch_order(self, shop: ShopApi, order_id: str) -> dict[str, Any]: ...


TokenSaver = Callable[[ShopApi], Awaitable[None]]


class PlatformClient(ABC):
    """Base of the five clients. `http` is injectable (tests point it at the fake platforms);
    `sleep` too (back-off without waiting in tests); `save_tokens` persists refreshed tokens."""

    platform = ""
    rate_limit_codes: frozenset[str] = frozenset()
    auth_codes: frozenset[str] = frozenset()
    max_push_batch = 1  # listings per stock call
    # Our own request budget per shop (a token bucket), under the platform's published limits so
    # its 429s are the exception; a shop's extra {"calls_per_s", "burst"} overrides (0: no limit).
    calls_per_s = 10.0
    burst = 20.0
    can_refresh = True  # Shopify's offline tokens and WooCommerce's keys do not expire

    def __init__(
        self,
        http: httpx.AsyncClient | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        save_tokens: TokenSaver | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.http = http or httpx.AsyncClient(timeout=20.0)
        self.sleep = sleep
        self.save_tokens = save_tokens
        self.clock = clock
        self._tokens: dict[str, ShopApi] = {}  # refreshed settings per shop code, newest first
        self._buckets: dict[str, tuple[float, float]] = {}  # shop code -> (tokens, at monotonic)
        self.monotonic = time.monotonic  # the bucket's clock (tests fix it)

    # -- the interface ---------------------------------------------------------------------------
    @abstractmethod
    async def fetch_order(self, shop: ShopApi, order_id: str) -> dict[str, Any]: ...

    @abstractmethod
    async def list_orders(self, shop: ShopApi, since: datetime, until: datetime) -> list[dict[str, Any]]:
        """Every order updated in [since, until), following the platform's pagination: raw orders
        (or, where the list carries only ids, each order's detail)."""
        ...

    @abstractmethod
    async def update_stock(self, shop: ShopApi, pushes: list[StockPush]) -> None:
        """Set absolute quantities; `pushes` is at most `max_push_batch` long (or one product's
        SKUs on TikTok: see server/channels/push.py)."""
        ...

    @abstractmethod
    async def refresh(self, shop: ShopApi) -> ShopApi: ...

    # -- shared machinery ------------------------------------------------------------------------
    def current(self, shop: ShopApi) -> ShopApi:
        return self._tokens.get(shop.shop_code, shop)

    async def _fresh(self, shop: ShopApi) -> ShopApi:
        shop = self.current(shop)
        expires = shop.token_expires_at
        if shop.refresh_token and expires is not None and expires - REFRESH_MARGIN <= self.clock():
            shop = await self._do_refresh(shop)
        return shop

    async def _do_refresh(self, shop: ShopApi) -> ShopApi:
        shop = await self.refresh(shop)
        self._tokens[shop.shop_code] = shop
        if self.save_tokens is not None:
            await self.save_tokens(shop)
        return shop

    async def call(self, shop: ShopApi, send: Callable[[ShopApi], Awaitable[httpx.Response]]) -> Any:
        """Send (signed by `send` with the shop's current token), back off on rate limits, refresh
        the token once if refused, and answer the decoded body (platform errors raised)."""
        shop = await self._fresh(shop)
        refreshed = False
        for attempt in range(1, RATE_LIMIT_TRIES + 1):
            await self._budget(shop)
            response = await send(shop)
            try:
                return self.check(response)
            except AuthExpired:
                if refreshed or not shop.refresh_token or not self.can_refresh:
                    raise
                refreshed = True
                shop = await self._do_refresh(shop)
            except _RateLimited as limited:
                if attempt == RATE_LIMIT_TRIES:
                    raise Retry(limited.after_s, f"{self.platform} rate limit") from None
                await self.sleep(limited.after_s or 0.5 * 2**attempt)
        raise Retry(1.0, f"{self.platform} kept refusing")

    async def _budget(self, shop: ShopApi) -> None:
        """Take one request from the shop's token bucket, waiting for it if it is empty."""
        rate = float(shop.extra.get("calls_per_s", self.calls_per_s))
        if rate <= 0:
            return
        burst = float(shop.extra.get("burst", self.burst))
        now = self.monotonic()
        tokens, at = self._buckets.get(shop.shop_code, (burst, now))
        tokens = min(burst, tokens + max(0.0, now - at) * rate)
        if tokens < 1:
            wait = (1 - tokens) / rate
            await self.sleep(wait)
            tokens, now = 1.0, max(now + wait, self.monotonic())
        self._buckets[shop.shop_code] = (tokens - 1, now)

    def check(self, response: httpx.Response) -> Any:
        """The body, or the platform's error as an exception."""
        if response.status_code == 429:
            raise _RateLimited(_retry_after(response))
        if response.status_code == 401:
            raise AuthExpired(self.platform, "401", response.text[:200])
        if response.status_code >= 500:
            raise Retry(2.0, f"{self.platform} answered {response.status_code}")
        body = response.json() if response.content else {}
        code, message = self.error_of(body, response)
        if code in self.rate_limit_codes:
            raise _RateLimited(_retry_after(response))
        if code in self.auth_codes:
            raise AuthExpired(self.platform, code, message)
        if code:
            raise PlatformError(self.platform, code, message)
        return body

    def error_of(self, body: Any, response: httpx.Response) -> tuple[str, str]:
        """(code, message) of a failed answer; ("", "") when it succeeded."""
        if response.status_code >= 400:
            return str(response.status_code), response.text[:200]
        return "", ""

    def now_s(self) -> int:
        return int(self.clock().timestamp())


class _RateLimited(Exception):
    def __init__(self, after_s: float) -> None:
        self.after_s = after_s


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("Retry-After", "")
    if not value:
        return 0.0
    try:
        return float(value)
    except ValueError:
        try:
            return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return 0.0


def with_tokens(shop: ShopApi, access: str, refresh: str, expires_in_s: float, now: datetime) -> ShopApi:
    return replace(
        shop, access_token=access, refresh_token=refresh or shop.refresh_token,
        token_expires_at=now + timedelta(seconds=expires_in_s),
    )  # fmt: skip

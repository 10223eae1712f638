"""The one edge every JSON request body passes: its media type, its depth, and no control characters.

Litestar decodes a handler's JSON body through `Request.json()`; `BodyCheckedRequest` (the app's
request class) wraps that once for every route, so no schema has to repeat these rules per field:

- a JSON route is sent `application/json` (or a `+json` type), else 415: a form or text/plain
  body is not guessed at;
- a body nested too deeply to decode (a thousand `[`) is a 400, not a RecursionError;
- no text anywhere in the body may hold a control character other than tab, line feed and
  carriage return, nor a lone UTF-16 surrogate. PostgreSQL cannot store NUL in text and answers
  500, SQLite stores it silently, and none of them belong in an address, a SKU or a reason. They
  are refused with 422 naming each field. msgspec's decoder cannot read a lone surrogate escape
  ("\\ud800") at all, so such a body is read a second time by the standard library's decoder,
  only to name the fields that hold one.

A route whose body is a batch of independent items (opt `body_items="orders"`) is not refused
whole for one bad item: the refused items are handed to the handler (`refused_items`), which
reports them and takes the rest.
"""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, SerializationException
from litestar.types import Scope

from server.errors import BodegaError, FieldError, InvalidInput

# C0 controls except tab (09), line feed (0a) and carriage return (0d); DEL; lone surrogates.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# The same characters as they can appear in a JSON body: escaped (\u0000, \u007f, \ud800) or a
# raw DEL. A body without any of these needs no walk (most bodies, and every bench batch).
_MAYBE_FORBIDDEN = re.compile(rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u[dD][89a-fA-F]|\x7f")
# A UTF-16 surrogate escape; a lone one is what msgspec cannot decode.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_REFUSED_ITEMS = "bodega_refused_items"
_CHECKED = "bodega_body_checked"


class UnsupportedMediaType(BodegaError):
    status = 415
    slug = "unsupported-media-type"
    title = "Send this body as application/json"


def is_json_media_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _describe(char: str) -> str:
    return "a lone surrogate" if "\ud800" <= char <= "\udfff" else f"the control character U+{ord(char):04X}"


def control_characters(value: Any) -> list[FieldError]:
    """Every string (and object key) in a decoded JSON value that holds a forbidden character.

    Walks with an explicit stack: the value came from a decoder, but its depth is still the
    sender's choice.
    """
    found: list[FieldError] = []
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            bad = _FORBIDDEN.search(item)
            if bad:
                where = path or "body"
                found.append(FieldError(where, f"must not contain {_describe(bad.group())}"))
        elif isinstance(item, dict):
            for key, child in item.items():
                key = str(key)
                bad = _FORBIDDEN.search(key)
                if bad:
                    found.append(
                        FieldError(path or "body", f"a key must not contain {_describe(bad.group())}")
                    )
                    continue
                stack.append((f"{path}.{key}" if path else key, child))
        elif isinstance(item, list):
            stack.extend((f"{path}[{i}]", child) for i, child in enumerate(item))
    found.sort(key=lambda e: e.field)
    return found


_ITEM = re.compile(r"^(\w+)\[(\d+)\]")


def _split_items(
    errors: list[FieldError], items_key: str
) -> tuple[dict[int, list[FieldError]], list[FieldError]]:
    """Errors inside `items_key[i]` by item index, and the errors elsewhere in the body."""
    by_item: dict[int, list[FieldError]] = {}
    rest: list[FieldError] = []
    for error in errors:
        match = _ITEM.match(error.field)
        if match and match.group(1) == items_key:
            by_item.setdefault(int(match.group(2)), []).append(error)
        else:
            rest.append(error)
    return by_item, rest


def refused_items(scope: Scope) -> dict[int, list[FieldError]]:
    """For a batch route: the items the edge refused, by index, with their field errors."""
    return scope.get("state", {}).get(_REFUSED_ITEMS, {})


def _replace_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_replace_lone_surrogates(k): _replace_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_lone_surrogates(item) for item in value]
    return value


class BodyCheckedRequest(Request[Any, Any, Any]):
    """The app's request class: `json()` applies the body rules above, once per request."""

    async def json(self) -> Any:
        state = self.scope.setdefault("state", {})
        if state.get(_CHECKED):
            return await super().json()
        content_type = self.headers.get("content-type", "")
        if not is_json_media_type(content_type):
            raise UnsupportedMediaType(
                f"this route takes a JSON body; Content-Type was {content_type or 'missing'}",
                [FieldError("Content-Type", "must be application/json")],
            )
        body = await self.body()
        try:
            value = await super().json()
        except RecursionError as exc:
            raise ClientException("The JSON body is nested too deeply to read") from exc
        except SerializationException:
            if not _SURROGATE_ESCAPE.search(body):
                raise
            value = self._with_lone_surrogates(body)
        else:
            if _MAYBE_FORBIDDEN.search(body):
                self._refuse_control_characters(value)
        state[_CHECKED] = True
        return value

    def _with_lone_surrogates(self, body: bytes) -> Any:
        """A body msgspec refused because it escapes a lone surrogate: the fields holding one are
        refused by name, like any control character (422). Only the items of a batch can get
        past that refusal; their lone surrogates become U+FFFD, so the refused items can still be
        stored (as text that UTF-8 can hold) and the rest of the batch goes in."""
        try:
            value = json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise ClientException("The body is not valid JSON") from exc
        self._refuse_control_characters(value)
        try:
            value = _replace_lone_surrogates(value)
        except RecursionError as exc:
            raise ClientException("The JSON body is nested too deeply to read") from exc
        self._connection_state.json = value  # what the handler's `data` is built from
        self._json = value
        return value

    def _refuse_control_characters(self, value: Any) -> None:
        errors = control_characters(value)
        if not errors:
            return
        items_key = self.route_handler.opt.get("body_items")
        if items_key:
            by_item, errors = _split_items(errors, str(items_key))
            self.scope.setdefault("state", {})[_REFUSED_ITEMS] = by_item
        if errors:
            raise InvalidInput("text must not hold control characters", errors)

"""Bytes <-> wire types: JSON or MessagePack, optional gzip, size limits, and clear refusals.

Everything a refusal needs is here so the server's endpoints stay thin: they hand the raw body and
headers to `read_request` and turn a `ProtocolError` into its Problem Details response.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
import zlib
from typing import Any, NamedTuple, TypeVar

import msgspec
from msgspec import Struct, field

from ._protocol import (
    MAX_OPS_PER_PUSH,
    MAX_REQUEST_BYTES,
    MAX_SAFE_INT,
    MAX_WIRE_BYTES,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    Format,
    MalformedOp,
    Op,
    PullRequest,
    PushRequest,
    SyncRequest,
)

__all__ = [
    "JSON_MEDIA_TYPE",
    "MSGPACK_MEDIA_TYPE",
    "FieldError",
    "Incoming",
    "Problem",
    "ProtocolError",
    "check_version",
    "decode",
    "encode",
    "format_of",
    "gzip_body",
    "media_type",
    "read_body",
    "read_request",
]

JSON_MEDIA_TYPE = "application/json"
MSGPACK_MEDIA_TYPE = "application/msgpack"
_MSGPACK_ALIASES = frozenset({MSGPACK_MEDIA_TYPE, "application/x-msgpack", "application/vnd.msgpack"})
PROBLEM_BASE = "https://bodega.ph/problems/"

# code -> (HTTP status, title). Clients switch on `code` (the last part of `type`), never on status.
PROBLEMS: dict[str, tuple[int, str]] = {
    "sync-unsupported-version": (400, "This app version cannot sync with this server: update the app"),
    "sync-malformed": (422, "The request is not a valid sync message"),
    "sync-batch-too-large": (413, "Too many ops in one push"),
    "sync-body-too-large": (413, "The request body is too large"),
    "sync-unsupported-media-type": (415, "Send application/json or application/msgpack"),
    "sync-unsupported-encoding": (415, "Send the body plain or gzip-compressed"),
    "sync-wrong-device": (403, "Ops can only be pushed by the device that recorded them"),
    "sync-device-revoked": (401, "This device was revoked: log in again"),
    "blob-bad-id": (422, "A blob id is the SHA-256 of its bytes, as 64 lower-case hex digits"),
    "blob-hash-mismatch": (422, "The blob's bytes do not hash to its id"),
    "blob-too-large": (413, "The blob is too large"),
}


class FieldError(Struct, frozen=True, omit_defaults=True):
    field: str
    message: str


class Problem(Struct, frozen=True, omit_defaults=True):
    """RFC 9457 Problem Details, with the same members the server uses for every other error."""

    type: str
    title: str
    status: int
    detail: str = ""
    errors: list[FieldError] = field(default_factory=list)
    request_id: str = ""
    code: str = ""
    min_version: int | None = None  # on sync-unsupported-version: what the server speaks
    max_version: int | None = None
    limit: int | None = None  # on the *-too-large problems


class ProtocolError(Exception):
    """A refusal of the whole request. ``problem`` is the body to answer with."""

    def __init__(
        self,
        code: str,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        limit: int | None = None,
        versions: bool = False,
    ) -> None:
        super().__init__(f"{code}: {detail}")
        status, title = PROBLEMS[code]
        self.problem = Problem(
            type=PROBLEM_BASE + code,
            title=title,
            status=status,
            detail=detail,
            errors=errors or [],
            code=code,
            min_version=MIN_PROTOCOL_VERSION if versions else None,
            max_version=PROTOCOL_VERSION if versions else None,
            limit=limit,
        )

    @property
    def status(self) -> int:
        return self.problem.status


_JSON = msgspec.json.Encoder()
_MSGPACK = msgspec.msgpack.Encoder()
_decoders: dict[tuple[type[Any], Format], Any] = {}

T = TypeVar("T")


def encode(message: Any, fmt: Format) -> bytes:
    return _JSON.encode(message) if fmt == "json" else _MSGPACK.encode(message)


def _decoder(type_: type[T], fmt: Format) -> msgspec.json.Decoder[T] | msgspec.msgpack.Decoder[T]:
    """One decoder per (message type, format), built on first use. The cache cannot say that the
    decoder it holds for `type_` decodes a `type_`; this function's signature does."""
    decoder = _decoders.get((type_, fmt))
    if decoder is None:
        decoder = msgspec.json.Decoder(type_) if fmt == "json" else msgspec.msgpack.Decoder(type_)
        _decoders[(type_, fmt)] = decoder
    return decoder


def decode(data: bytes, type_: type[T], fmt: Format) -> T:
    """Decode or raise ProtocolError(sync-malformed) naming where in the body the problem is."""
    decoder = _decoder(type_, fmt)
    try:
        result = decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise ProtocolError("sync-malformed", str(exc), errors=[_field_error(str(exc))]) from None
    except msgspec.DecodeError as exc:
        raise ProtocolError("sync-malformed", f"cannot decode {fmt}: {exc}") from None
    return result


def _field_error(message: str) -> FieldError:
    # msgspec ends its messages with " - at `$.ops[3][2]`": that path is the field.
    head, sep, path = message.rpartition(" - at `")
    if sep:
        return FieldError(field=path.rstrip("`"), message=head)
    return FieldError(field="$", message=message)


def media_type(fmt: Format) -> str:
    return JSON_MEDIA_TYPE if fmt == "json" else MSGPACK_MEDIA_TYPE


def format_of(content_type: str | None) -> Format:
    """The body format for a Content-Type (or Accept) header; JSON when none is given."""
    if not content_type:
        return "json"
    base = content_type.split(";", 1)[0].strip().lower()
    if base in ("application/json", "*/*"):
        return "json"
    if base in _MSGPACK_ALIASES:
        return "msgpack"
    raise ProtocolError("sync-unsupported-media-type", f"cannot read {base!r}")


def gzip_body(data: bytes) -> bytes:
    # mtime=0: the same message always compresses to the same bytes (golden tests, caches).
    return gzip.compress(data, compresslevel=6, mtime=0)


def read_body(raw: bytes, content_encoding: str | None = None, *, limit: int = MAX_REQUEST_BYTES) -> bytes:
    """Undo Content-Encoding, refusing bodies that are too large before or after decompression."""
    if len(raw) > MAX_WIRE_BYTES:
        raise ProtocolError("sync-body-too-large", f"{len(raw)} bytes sent", limit=MAX_WIRE_BYTES)
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "identity":
        data = raw
    elif encoding in ("gzip", "x-gzip"):
        data = _gunzip(raw, limit)
    else:
        raise ProtocolError("sync-unsupported-encoding", f"cannot read Content-Encoding {encoding!r}")
    if len(data) > limit:
        raise ProtocolError("sync-body-too-large", f"more than {limit} bytes", limit=limit)
    return data


def _gunzip(raw: bytes, limit: int) -> bytes:
    # Stop at limit + 1 bytes: a 1 MB gzip bomb must not become 1 GB in memory.
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise ProtocolError("sync-malformed", f"bad gzip body: {exc}") from None
    if len(data) > limit:
        raise ProtocolError("sync-body-too-large", f"more than {limit} bytes once decompressed", limit=limit)
    if not inflater.eof:
        raise ProtocolError("sync-malformed", "truncated gzip body")
    return data


def check_version(v: object) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or not MIN_PROTOCOL_VERSION <= v <= PROTOCOL_VERSION:
        raise ProtocolError(
            "sync-unsupported-version",
            f"protocol version {v!r} is not served here; this server speaks "
            f"{MIN_PROTOCOL_VERSION}..{PROTOCOL_VERSION}",
            versions=True,
        )
    return v


class Incoming(NamedTuple):
    """A push, pull or sync body, normalised: one shape for the server's one code path."""

    request: SyncRequest  # ops holds only the well-formed ones; see items
    items: list[Op | MalformedOp]  # every element of ops, in order


class _Loose(Struct):
    # Every request type's fields, with ops left undecoded: lets us answer the version question
    # before the shape question, and reject one bad op instead of the whole batch.
    v: Any = None
    ops: Any = field(default_factory=list)
    cur: str | None = None
    lim: int = 0
    pull: bool = True


def read_request(
    data: bytes, fmt: Format, message: type[PushRequest | PullRequest | SyncRequest] = SyncRequest
) -> Incoming:
    """Decode a request body. Raises ProtocolError for what is wrong with the request as a whole."""
    try:
        strict = decode(data, message, fmt)
    except ProtocolError:
        return _read_loosely(data, fmt, message)
    check_version(strict.v)
    if isinstance(strict, PullRequest):
        return Incoming(SyncRequest(v=strict.v, cur=strict.cur, lim=strict.lim), [])
    _check_count(len(strict.ops))
    # A MessagePack body cannot be searched as bytes (its framing uses the same byte values); its
    # ops written as JSON (one C call, about 3x cheaper than walking them) show the same escapes.
    if _MAYBE_FORBIDDEN.search(data if fmt == "json" else _JSON.encode(strict.ops)):
        items = [_text_checked(i, op) for i, op in enumerate(strict.ops)]
        if any(isinstance(item, MalformedOp) for item in items):
            good = [item for item in items if isinstance(item, Op)]
            if isinstance(strict, PushRequest):
                return Incoming(SyncRequest(v=strict.v, ops=good, pull=False), items)
            return Incoming(
                SyncRequest(v=strict.v, ops=good, cur=strict.cur, lim=strict.lim, pull=strict.pull), items
            )
    if isinstance(strict, PushRequest):
        return Incoming(SyncRequest(v=strict.v, ops=strict.ops, pull=False), list(strict.ops))
    return Incoming(strict, list(strict.ops))


def _read_loosely(
    data: bytes, fmt: Format, message: type[PushRequest | PullRequest | SyncRequest]
) -> Incoming:
    try:
        loose = decode(data, _Loose, fmt)
    except ProtocolError:
        loose = _with_lone_surrogates(data, fmt)
    version = check_version(loose.v)
    # Now we know the version is served; the strict error is about this request's shape.
    raw_ops: Any = loose.ops
    if message is PullRequest or not isinstance(raw_ops, list):
        decode(data, message, fmt)  # re-raises the precise error
        raise AssertionError("unreachable")  # pragma: no cover
    ops_list: list[Any] = raw_ops
    _check_count(len(ops_list))
    items: list[Op | MalformedOp] = [_op_or_malformed(i, item) for i, item in enumerate(ops_list)]
    good = [item for item in items if isinstance(item, Op)]
    try:
        rest = msgspec.convert({"v": version, "cur": loose.cur, "lim": loose.lim}, PullRequest)
    except msgspec.ValidationError as exc:
        raise ProtocolError("sync-malformed", str(exc), errors=[_field_error(str(exc))]) from None
    pull = loose.pull and message is SyncRequest
    return Incoming(SyncRequest(v=version, ops=good, cur=rest.cur, lim=rest.lim, pull=pull), items)


def _with_lone_surrogates(data: bytes, fmt: Format) -> _Loose:
    """msgspec cannot decode a lone surrogate escape ("\\ud83d", a phone that cut an emoji in
    half): such a JSON body is read by the standard library, so only the ops holding one are
    refused. Anything else undecodable stays the whole request's error."""
    if fmt != "json" or not _SURROGATE_ESCAPE.search(data):
        return decode(data, _Loose, fmt)  # re-raises the precise error
    try:
        return msgspec.convert(json.loads(data), _Loose)
    except (ValueError, RecursionError, msgspec.ValidationError):
        return decode(data, _Loose, fmt)


def _check_count(count: int) -> None:
    if count > MAX_OPS_PER_PUSH:
        raise ProtocolError(
            "sync-batch-too-large",
            f"{count} ops in one push; send at most {MAX_OPS_PER_PUSH}",
            limit=MAX_OPS_PER_PUSH,
        )


def _op_or_malformed(index: int, item: Any) -> Op | MalformedOp:
    try:
        op = msgspec.convert(item, Op)
    except msgspec.ValidationError as exc:
        seq, op_id = _salvage(item)
        return MalformedOp(position=index, seq=seq, id=op_id, reason=str(exc))
    return _text_checked(index, op)


# Text no fact may hold (§4): C0 control characters other than tab, line feed and carriage
# return; DEL; lone UTF-16 surrogates. PostgreSQL cannot store NUL in text (a push holding one
# failed as a whole, and the phone re-sent it forever); none of them belong in a bin code, a
# SKU or a note. The same rule as the API's JSON bodies (server/body.py).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# The same characters as they can appear in a JSON body (escaped, or a raw DEL): a JSON push
# without any of these needs no walk of its payloads.
_MAYBE_FORBIDDEN = re.compile(rb"\\u00[01][0-9a-fA-F]|\\u007[fF]|\\u[dD][89a-fA-F]|\x7f")
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def forbidden_text(value: Any, path: str) -> str | None:
    """Where in a decoded value a forbidden character is, and which: "payload.note: must not
    contain the control character U+0000"; None when the text is clean. Walks with a stack."""
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            bad = _FORBIDDEN.search(item)
            if bad:
                return f"{where}: must not contain {_describe(bad.group())}"
        elif isinstance(item, dict):
            for key, child in item.items():
                key = str(key)
                bad = _FORBIDDEN.search(key)
                if bad:
                    return f"{where}: a key must not contain {_describe(bad.group())}"
                stack.append((f"{where}.{key}", child))
        elif isinstance(item, list | tuple):
            stack.extend((f"{where}[{i}]", child) for i, child in enumerate(item))
    return None


def _describe(char: str) -> str:
    return "a lone surrogate" if "\ud800" <= char <= "\udfff" else f"the control character U+{ord(char):04X}"


def _text_checked(index: int, op: Op) -> Op | MalformedOp:
    """An op whose text holds a forbidden character is refused alone, naming the field; its
    envelope was readable, so it still fills its seq slot and the ops behind it go through."""
    problem = forbidden_text(op.dev, "dev")
    code = "malformed_op"
    if problem is None:
        problem, code = forbidden_text(op.payload, "payload"), "invalid_payload"
    if problem is None:
        return op
    return MalformedOp(position=index, seq=op.seq, id=op.id, reason=problem, code=code)


def _salvage(item: Any) -> tuple[int, uuid.UUID | None]:
    """Read what we can of a broken envelope, so its seq slot can still be filled and answered."""
    if not isinstance(item, list):
        return 0, None
    parts: list[Any] = item
    seq = parts[2] if len(parts) > 2 else 0
    if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq <= MAX_SAFE_INT:
        seq = 0
    op_id: uuid.UUID | None = None
    if parts:
        try:
            op_id = msgspec.convert(parts[0], uuid.UUID)
        except msgspec.ValidationError:
            op_id = None
    return seq, op_id

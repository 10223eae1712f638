"""Content hashes: per-scope checksums (so a replica can tell it has drifted) and blob ids.

The checksum of a scope is the sum, modulo 2**64, of one 64-bit hash per entity in it. A sum is
order-independent and can be kept up to date incrementally (subtract the old entity's hash, add the
new one) in the same transaction as the change, which is what the server does; the phone computes
the same sum over its replica. Hash input: kind, key and the canonical JSON of the value (keys
sorted, no spaces, integers only: values never hold floats), joined by the 0x1F unit separator.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

import msgspec

__all__ = ["ScopeSum", "blob_hash", "canonical_json", "entity_hash", "is_blob_id", "scope_checksum"]

_MASK = (1 << 64) - 1
_SEP = b"\x1f"
_ENCODER = msgspec.json.Encoder(order="sorted")


def blob_hash(data: bytes) -> str:
    """Blobs are content-addressed: the id is the SHA-256 of the bytes, in lower-case hex."""
    return hashlib.sha256(data).hexdigest()


def is_blob_id(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def canonical_json(value: Any) -> bytes:
    return _ENCODER.encode(value)


def entity_hash(kind: str, key: str, value: Any) -> int:
    digest = hashlib.sha256(kind.encode() + _SEP + key.encode() + _SEP + canonical_json(value)).digest()
    return int.from_bytes(digest[:8], "big")


def scope_checksum(entities: Iterable[tuple[str, str, Any]]) -> str:
    return ScopeSum.of(entities).hex()


class ScopeSum:
    """A running checksum: add and remove entities as they change."""

    __slots__ = ("value",)

    def __init__(self, value: int = 0) -> None:
        self.value = value

    @classmethod
    def of(cls, entities: Iterable[tuple[str, str, Any]]) -> ScopeSum:
        total = cls()
        for kind, key, value in entities:
            total.add(kind, key, value)
        return total

    def add(self, kind: str, key: str, value: Any) -> None:
        self.value = (self.value + entity_hash(kind, key, value)) & _MASK

    def remove(self, kind: str, key: str, value: Any) -> None:
        self.value = (self.value - entity_hash(kind, key, value)) & _MASK

    def hex(self) -> str:
        return f"{self.value:016x}"

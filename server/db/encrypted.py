"""Secrets at rest: channel credentials and ERP webhook secrets are stored AES-256-GCM encrypted.

The key is 32 bytes, from BODEGA_CREDENTIALS_KEY (base64url) or else the key file
BODEGA_CREDENTIALS_KEY_FILE (default `var/credentials_key`), created on first use with mode 0600.
Keep the key file out of database backups: a stolen backup then holds no usable credential.

`EncryptedText` is a column type: values are encrypted when written through SQLAlchemy and
decrypted when read, so the code using the credentials (signature checks, platform clients) sees
plain text and nothing else changes. A stored value is `enc:v1:` + base64url(nonce ‖ ciphertext ‖
tag); a value without that prefix (a row written before encryption, until migration 0013 rewrites
it) is read as it is. The empty string stays empty (no credential)."""

from __future__ import annotations

import base64
import os
import secrets
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "enc:v1:"
DEFAULT_KEY_FILE = "var/credentials_key"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@cache
def key() -> bytes:
    raw = os.environ.get("BODEGA_CREDENTIALS_KEY", "").strip()
    if not raw:
        path = Path(os.environ.get("BODEGA_CREDENTIALS_KEY_FILE", DEFAULT_KEY_FILE))
        if path.exists():
            raw = path.read_text().strip()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            raw = _b64(secrets.token_bytes(32))
            # Created readable by its owner only, before the key is written into it.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(raw + "\n")
    data = _unb64(raw)
    if len(data) != 32:
        raise SystemExit("BODEGA_CREDENTIALS_KEY must be 32 bytes, base64url-encoded")
    return data


def encrypt(plain: str) -> str:
    if not plain:
        return ""
    nonce = secrets.token_bytes(12)
    return PREFIX + _b64(nonce + AESGCM(key()).encrypt(nonce, plain.encode(), None))


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        return stored  # written before encryption at rest
    blob = _unb64(stored[len(PREFIX) :])
    return AESGCM(key()).decrypt(blob[:12], blob[12:], None).decode()


def is_encrypted(stored: str) -> bool:
    return stored.startswith(PREFIX) or stored == ""


class EncryptedText(TypeDecorator[str]):
    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return encrypt(str(value))

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return decrypt(str(value))

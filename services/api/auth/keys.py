"""Shop API keys: `kfs_` + 32 random bytes (URL-safe base64), stored as SHA-256.

A key is a 256-bit random secret, so a fast hash is enough: nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "kfs_"
# Shown in listings so an operator can tell keys apart without the secret.
VISIBLE_CHARS = 10


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_key_id() -> str:
    return "key_" + secrets.token_hex(8)


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def visible_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + VISIBLE_CHARS]

"""Versioned data keys wrapped by the master key, and AES-256-GCM encryption bound to table and column.

A stored value looks like ``v3:BASE64(nonce || ciphertext || tag)``: ``3`` is the data-key version, so
``reencrypt`` can find values under an old key without decrypting them.  The associated data is
``"<table>.<column>"``: a ciphertext copied into another column fails to decrypt instead of being read as
that column's value.
"""

from __future__ import annotations

import base64
import binascii
import os
import threading
import time
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from backend.core.crypto.key_store import data_keys
from backend.core.crypto.root_keys import RootKeys, load_root_keys

NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A stored value could not be decrypted: tampered, moved to another column, or an unknown key."""


@dataclass
class Keyring:
    root: RootKeys
    raw_keys: dict[int, bytes]
    active_version: int
    loaded_at: float = field(default_factory=time.monotonic)
    data_keys: dict[int, AESGCM] = field(init=False)

    def __post_init__(self) -> None:
        self.data_keys = {version: AESGCM(raw) for version, raw in self.raw_keys.items()}

    def encrypt(self, plaintext: bytes, aad: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.data_keys[self.active_version].encrypt(nonce, plaintext, aad)
        return f"v{self.active_version}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str, aad: bytes) -> bytes:
        return self.open(*parse_token(token), aad)

    def sealer(self, count: int) -> Sealer:
        """``encrypt`` for a batch of about ``count`` values under the active data key (the gateway's
        writer): the same stored form, the batch's random nonces drawn in one call."""
        return Sealer(self.data_keys[self.active_version], self.active_version, count)

    def open(self, version: int, blob: bytes, aad: bytes) -> bytes:
        """Decrypt an already parsed token (``parse_token``)."""
        key = self.data_keys.get(version)
        if key is None:
            raise DecryptionError(f"未知的数据密钥版本 v{version}")
        try:
            return key.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except InvalidTag:
            # Say which column, never the value: messages end up in logs.
            raise DecryptionError(f"密文校验失败（{aad.decode()}）：数据被篡改或不属于该字段") from None


class Sealer:
    """``Keyring.encrypt`` for one batch — the same ``v<version>:base64(nonce || ciphertext || tag)`` under
    one data key — with the batch's random nonces drawn in one call: one getrandom() per value was a visible
    part of a gateway worker's time.  A nonce is never reused: past ``count`` values, each draws its own."""

    __slots__ = ("_key", "_nonces", "_prefix", "_used")

    def __init__(self, key: AESGCM, version: int, count: int) -> None:
        self._key = key
        self._prefix = f"v{version}:"
        self._nonces = os.urandom(NONCE_BYTES * count)
        self._used = 0

    def encrypt(self, plaintext: bytes, aad: bytes) -> str:
        start = self._used
        nonce = self._nonces[start : start + NONCE_BYTES]
        if len(nonce) < NONCE_BYTES:  # more values than foreseen: never reuse, draw afresh
            nonce = os.urandom(NONCE_BYTES)
        self._used = start + NONCE_BYTES
        sealed = self._key.encrypt(nonce, plaintext, aad)
        return self._prefix + base64.b64encode(nonce + sealed).decode("ascii")


def parse_token(token: str) -> tuple[int, bytes]:
    prefix, sep, body = token.partition(":")
    if not sep or not prefix.startswith("v") or not prefix[1:].isdigit():
        raise DecryptionError("不是加密字段的存储格式")
    try:
        blob = binascii.a2b_base64(body, strict_mode=True)  # b64decode(validate=True), without its wrapping
    except ValueError:
        raise DecryptionError("加密字段的 base64 编码损坏") from None
    if len(blob) < NONCE_BYTES + 16:
        raise DecryptionError("加密字段长度不足")
    return int(prefix[1:]), blob


def token_version(token: str) -> int:
    return parse_token(token)[0]


def _load() -> Keyring:
    root = load_root_keys()
    keys = data_keys(root)
    return Keyring(root=root, raw_keys=keys, active_version=max(keys))


_lock = threading.Lock()
_cached: Keyring | None = None


_cache_seconds: float | None = None  # settings.KEY_CACHE_SECONDS: every decrypted value asks


def _key_cache_seconds() -> float:
    global _cache_seconds
    if _cache_seconds is None:
        _cache_seconds = settings.KEY_CACHE_SECONDS
    return _cache_seconds


@receiver(setting_changed)
def _reread_cache_seconds(*, setting: str, **kwargs) -> None:
    global _cache_seconds
    if setting == "KEY_CACHE_SECONDS":
        _cache_seconds = None


def get_keyring(*, refresh: bool = False) -> Keyring:
    """The process-wide keyring, reloaded every KEY_CACHE_SECONDS so a rotation elsewhere is picked up."""
    global _cached
    keyring = _cached
    if keyring is not None and not refresh and time.monotonic() - keyring.loaded_at < _key_cache_seconds():
        return keyring
    with _lock:
        if refresh or _cached is None or time.monotonic() - _cached.loaded_at >= _key_cache_seconds():
            _cached = _load()
        return _cached


def reset_keyring_cache() -> None:
    global _cached
    with _lock:
        _cached = None


def encrypt_value(plaintext: bytes, aad: bytes) -> str:
    return get_keyring().encrypt(plaintext, aad)


def decrypt_value(token: str, aad: bytes) -> bytes:
    version, blob = parse_token(token)  # once: a list page decrypts hundreds of values
    keyring = get_keyring()
    if version not in keyring.data_keys:
        keyring = get_keyring(refresh=True)  # written by a process that rotated after we loaded
    return keyring.open(version, blob, aad)

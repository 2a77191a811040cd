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
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.dispatch import receiver

from backend.core.crypto.root_keys import KeyConfigError, RootKeys, fingerprint, load_root_keys

NONCE_BYTES = 12


class DecryptionError(ValueError):
    """A stored value could not be decrypted: tampered, moved to another column, or an unknown key."""


def _wrap_aad(version: int) -> bytes:
    return f"anbang data key v{version}".encode()


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


def wrap_data_key(root: RootKeys, version: int, data_key: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(root.master).encrypt(nonce, data_key, _wrap_aad(version))


def _unwrap(master: bytes, version: int, wrapped: bytes) -> bytes:
    return AESGCM(master).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(version))


def unwrap_data_key(root: RootKeys, version: int, wrapped: bytes, wrapped_by: str) -> bytes:
    candidates = [root.master] + ([root.master_previous] if root.master_previous else [])
    for master in candidates:
        if fingerprint(master, "master") != wrapped_by:
            continue
        try:
            return _unwrap(master, version, wrapped)
        except InvalidTag:
            break
    raise KeyConfigError(
        f"主密钥与数据库不匹配：数据密钥 v{version} 由指纹为 {wrapped_by} 的主密钥加密，"
        f"当前 ANBANG_MASTER_KEY 的指纹为 {fingerprint(root.master, 'master')}。"
        "请检查 ANBANG_MASTER_KEY；更换主密钥时请同时设置 ANBANG_MASTER_KEY_PREVIOUS 并运行 "
        "`manage.py rotate_keys --rewrap`。"
    )


def verify_fingerprints(root: RootKeys) -> None:
    """The blind-index and audit keys must be the ones this database was set up with."""
    from backend.core.models import KeyFingerprint

    for purpose in ("blind_index", "audit"):
        current = fingerprint(getattr(root, purpose), purpose)
        row, created = KeyFingerprint.objects.get_or_create(
            purpose=purpose, defaults={"fingerprint": current}
        )
        if not created and row.fingerprint != current:
            env = {"blind_index": "ANBANG_BLIND_INDEX_KEY", "audit": "ANBANG_AUDIT_KEY"}[purpose]
            raise KeyConfigError(
                f"{env} 与数据库记录的指纹不一致（数据库 {row.fingerprint}，当前 {current}）："
                "密钥错误时不能继续运行，否则检索与审计校验都会失效。"
            )


def create_data_key(root: RootKeys) -> int:
    """Add a new data-key version (the newest is the one new values are written with)."""
    from backend.core.models import DataKey

    with transaction.atomic():
        latest = DataKey.objects.order_by("-version").values_list("version", flat=True).first() or 0
        version = latest + 1
        DataKey.objects.create(
            version=version,
            wrapped_key=wrap_data_key(root, version, AESGCM.generate_key(bit_length=256)),
            wrapped_by=fingerprint(root.master, "master"),
        )
    return version


def _load() -> Keyring:
    from backend.core.models import DataKey

    root = load_root_keys()
    verify_fingerprints(root)
    rows = list(DataKey.objects.order_by("version"))
    if not rows:
        try:
            create_data_key(root)
        except IntegrityError:
            pass  # another process created v1 at the same moment; use theirs
        rows = list(DataKey.objects.order_by("version"))
    keys = {
        row.version: unwrap_data_key(root, row.version, bytes(row.wrapped_key), row.wrapped_by)
        for row in rows
    }
    return Keyring(root=root, raw_keys=keys, active_version=rows[-1].version)


_lock = threading.Lock()
_cached: Keyring | None = None


_cache_seconds: float | None = None  # settings.KEY_CACHE_SECONDS: every decrypted value asks


def _key_cache_seconds() -> float:
    global _cache_seconds
    if _cache_seconds is None:
        from django.conf import settings

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

"""Where the data keys live: wrapped (AES-GCM) by the master key in ``core_datakey``, beside the
fingerprints of the blind-index and audit keys (``core_keyfingerprint``).  The keyring reads its keys
through here; ``rotate_keys`` adds and rewraps them."""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.db import IntegrityError, transaction

from backend.core.crypto.root_keys import KeyConfigError, RootKeys, fingerprint
from backend.core.models.keys import DataKey, KeyFingerprint

WRAP_NONCE_BYTES = 12


def _wrap_aad(version: int) -> bytes:
    return f"anbang data key v{version}".encode()


def wrap_data_key(root: RootKeys, version: int, data_key: bytes) -> bytes:
    nonce = os.urandom(WRAP_NONCE_BYTES)
    return nonce + AESGCM(root.master).encrypt(nonce, data_key, _wrap_aad(version))


def _unwrap(master: bytes, version: int, wrapped: bytes) -> bytes:
    return AESGCM(master).decrypt(wrapped[:WRAP_NONCE_BYTES], wrapped[WRAP_NONCE_BYTES:], _wrap_aad(version))


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
    with transaction.atomic():
        latest = DataKey.objects.order_by("-version").values_list("version", flat=True).first() or 0
        version = latest + 1
        DataKey.objects.create(
            version=version,
            wrapped_key=wrap_data_key(root, version, AESGCM.generate_key(bit_length=256)),
            wrapped_by=fingerprint(root.master, "master"),
        )
    return version


def data_keys(root: RootKeys) -> dict[int, bytes]:
    """Every data key, unwrapped, by version, after checking the other root keys' fingerprints; the first
    call on an empty database creates v1."""
    verify_fingerprints(root)
    rows = list(DataKey.objects.order_by("version"))
    if not rows:
        try:
            create_data_key(root)
        except IntegrityError:
            pass  # another process created v1 at the same moment; use theirs
        rows = list(DataKey.objects.order_by("version"))
    return {
        row.version: unwrap_data_key(root, row.version, bytes(row.wrapped_key), row.wrapped_by)
        for row in rows
    }

"""The three root keys that live outside the database (see docs/security.md).

- ``master``: wraps the versioned data keys stored in ``core_datakey`` (AES-256-GCM key wrapping).
- ``blind_index``: HMAC key for exact-match search tokens; separate so it cannot decrypt anything.
- ``audit``: HMAC key that links audit events into a chain; outside the DB so a DB writer cannot re-seal it.

``python -m backend.core.crypto.root_keys init DIR`` writes fresh random keys (mode 0600) for a demo or a
first install; it never overwrites an existing key file.  It needs no Django, so it runs before settings can.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT_KEY_NAMES = ("master", "blind_index", "audit")
ENV_NAMES = {
    "master": "MASTER_KEY",
    "master_previous": "MASTER_KEY_PREVIOUS",
    "blind_index": "BLIND_INDEX_KEY",
    "audit": "AUDIT_KEY",
}


class KeyConfigError(RuntimeError):
    """A root key is missing, malformed, or does not match the database."""


@dataclass(frozen=True)
class RootKeys:
    master: bytes
    blind_index: bytes
    audit: bytes
    master_previous: bytes | None = None


def fingerprint(key: bytes, purpose: str) -> str:
    """A short, non-secret identifier of a key: HMAC(key, purpose), 16 hex digits."""
    return hmac.new(key, b"anbang key fingerprint/" + purpose.encode(), hashlib.sha256).hexdigest()[:16]


def load_root_keys() -> RootKeys:
    """Parse the keys named in settings.KEY_SOURCES; raise KeyConfigError naming the missing variable."""
    from django.conf import settings

    from backend.env import EnvError, decode_key, env_secret

    sources = dict(settings.KEY_SOURCES)
    parsed: dict[str, bytes] = {}
    for name in ROOT_KEY_NAMES:
        value = sources.get(name)
        env_name = ENV_NAMES[name]
        if value is None:
            raise KeyConfigError(
                f"缺少密钥 ANBANG_{env_name}（或 ANBANG_{env_name}_FILE）。"
                "首次安装或演示环境请运行 `make keys`；生产环境请从密钥管理处获取。"
            )
        try:
            parsed[name] = decode_key(env_name, value)
        except EnvError as exc:
            raise KeyConfigError(str(exc)) from None
    previous_raw = sources.get("master_previous") or env_secret("MASTER_KEY_PREVIOUS")
    previous = decode_key("MASTER_KEY_PREVIOUS", previous_raw) if previous_raw else None
    if len({parsed["master"], parsed["blind_index"], parsed["audit"]}) != 3:
        raise KeyConfigError("主密钥、盲索引密钥与审计密钥必须互不相同")
    return RootKeys(master_previous=previous, **parsed)


def write_new_keys(directory: Path) -> list[Path]:
    """Create any missing key file in ``directory`` (0700) with a random 256-bit key (0600)."""
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    written = []
    for name in ("secret_key", "master_key", "blind_index_key", "audit_key"):
        path = directory / name
        if path.exists():
            continue
        value = (
            secrets.token_urlsafe(48)
            if name == "secret_key"
            else base64.b64encode(secrets.token_bytes(32)).decode()
        )
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        written.append(path)
    return written


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] != "init":
        print("用法: python -m backend.core.crypto.root_keys init 目录", file=sys.stderr)
        return 2
    directory = Path(argv[2])
    os.umask(0o077)  # the data folder, when this creates it (`make keys` on a first run), is private too
    written = write_new_keys(directory)
    for path in written:
        print(f"已生成密钥 {path}")
    if not written:
        print(f"密钥已存在于 {directory}，未做改动")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

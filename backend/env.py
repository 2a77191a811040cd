"""Typed helpers that read settings from the environment and fail loudly on bad values.

Every variable is ``ANBANG_<NAME>``; secrets may also come from a file named by ``ANBANG_<NAME>_FILE``
(Docker/systemd credentials style).  A value that is present but malformed stops the process with a
message naming the variable — a typo in production must never silently fall back to a default.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

PREFIX = "ANBANG_"


class EnvError(ImproperlyConfigured):
    """A setting in the environment is missing or malformed."""


def _raw(name: str) -> str | None:
    value = os.environ.get(PREFIX + name)
    return None if value is None or value.strip() == "" else value.strip()


def env_str(name: str, default: str) -> str:
    value = _raw(name)
    return default if value is None else value


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    value = _raw(name)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise EnvError(f"环境变量 {PREFIX}{name} 应为整数，实际为 {value!r}") from None
    if minimum is not None and number < minimum:
        raise EnvError(f"环境变量 {PREFIX}{name} 不能小于 {minimum}，实际为 {number}")
    if maximum is not None and number > maximum:
        raise EnvError(f"环境变量 {PREFIX}{name} 不能大于 {maximum}，实际为 {number}")
    return number


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    value = _raw(name)
    if value is None:
        return default
    if value.lower() in _TRUE:
        return True
    if value.lower() in _FALSE:
        return False
    raise EnvError(f"环境变量 {PREFIX}{name} 应为 true/false，实际为 {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    value = _raw(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str, *, secrets_dir: Path | None = None) -> str | None:
    """``ANBANG_<NAME>``, else the file named by ``ANBANG_<NAME>_FILE``, else ``<secrets_dir>/<name>``.

    Returns None when none is set; callers decide whether that is fatal.
    """
    direct = _raw(name)
    file_name = _raw(name + "_FILE")
    if direct is not None and file_name is not None:
        raise EnvError(f"{PREFIX}{name} 与 {PREFIX}{name}_FILE 只能设置其一")
    if direct is not None:
        return direct
    path = Path(file_name) if file_name is not None else None
    if path is None and secrets_dir is not None:
        candidate = secrets_dir / name.lower()
        path = candidate if candidate.exists() else None
    if path is None:
        return None
    try:
        content = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise EnvError(f"无法读取 {PREFIX}{name}_FILE 指向的文件 {path}：{exc.strerror}") from None
    if not content:
        raise EnvError(f"{PREFIX}{name}_FILE 指向的文件 {path} 为空")
    return content


def decode_key(name: str, value: str) -> bytes:
    """A 256-bit key written as 64 hex digits or as base64 (standard or URL-safe)."""
    value = value.strip()
    candidates: list[bytes] = []
    if len(value) == 64:
        try:
            candidates.append(bytes.fromhex(value))
        except ValueError:
            pass
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            candidates.append(decoder(value + "=" * (-len(value) % 4)))
        except (binascii.Error, ValueError):
            pass
    for key in candidates:
        if len(key) == 32:
            return key
    raise EnvError(f"{PREFIX}{name} 必须是 32 字节密钥（64 位十六进制或 base64 编码），请用 `make keys` 生成")


def database_from_url(url: str, *, sqlite_options: dict, conn_max_age: int) -> dict:
    """Django DATABASES['default'] from ``sqlite:///PATH`` or ``postgres://user:pass@host:port/name``."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/or/absolute — the path is everything after the third slash, as in SQLAlchemy.
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise EnvError("DATABASE_URL 形如 sqlite:///路径/anbang.sqlite3")
        # Kept open like PostgreSQL's: a new connection per request ran the PRAGMAs again and started
        # with an empty page cache, so every page read its index pages anew (bench/api.py).
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path,
            "CONN_MAX_AGE": conn_max_age,
            "OPTIONS": dict(sqlite_options),
        }
    if parts.scheme in {"postgres", "postgresql"}:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise EnvError("DATABASE_URL 缺少数据库名，形如 postgres://用户:密码@主机:5432/anbang")
        options = dict(parse_qsl(parts.query))
        try:
            port = parts.port
        except ValueError:
            raise EnvError("DATABASE_URL 端口无效") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": conn_max_age,
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise EnvError(f"DATABASE_URL 只支持 sqlite:/// 与 postgres://，实际为 {parts.scheme or url!r}:")

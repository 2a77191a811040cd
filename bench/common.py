"""What every benchmark needs: a fresh product environment with its own keys, and free loopback ports."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import Iterator

# Tuning variables a benchmark may pass through to the product to compare configurations.
PASS_THROUGH = {"ANBANG_GATEWAY_WORKERS", "ANBANG_SQLITE_CACHE_MB"}


def environment(data_dir: str) -> dict[str, str]:
    """The current environment minus any ANBANG_* settings and DATABASE_URL, plus fresh random keys and
    ``data_dir`` as the data folder: every run starts from an empty SQLite database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if (k in PASS_THROUGH or not k.startswith("ANBANG_")) and k != "DATABASE_URL"
    }
    for name in ("MASTER_KEY", "BLIND_INDEX_KEY", "AUDIT_KEY"):
        env[f"ANBANG_{name}"] = base64.b64encode(secrets.token_bytes(32)).decode()
    env.update(
        ANBANG_SECRET_KEY=secrets.token_urlsafe(48),
        ANBANG_DATA_DIR=data_dir,
        DJANGO_SETTINGS_MODULE="backend.settings",
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_ports(count: int) -> list[int]:
    """``count`` different free ports: each stays bound until all are chosen (one at a time, the system
    may hand out the same port twice, and a gateway refuses duplicate ports)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in socks]


@contextlib.contextmanager
def data_folder(prefix: str, keep: bool, what: str = "database") -> Iterator[str]:
    """A fresh folder for the product's data, removed afterwards unless ``keep`` (then its path is printed)."""
    data = tempfile.mkdtemp(prefix=prefix)
    try:
        yield data
    finally:
        if keep:
            print(f"{what} kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)

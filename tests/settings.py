"""Settings for the test suite: fresh random keys per run, a file-backed test database.

The keys are put into os.environ (not only into settings) so that servers the tests start as
subprocesses — gateway, scheduler, web — share them.
"""

from __future__ import annotations

import base64
import os
import secrets
import tempfile

for _name in ("MASTER_KEY", "BLIND_INDEX_KEY", "AUDIT_KEY"):
    os.environ.setdefault(f"ANBANG_{_name}", base64.b64encode(secrets.token_bytes(32)).decode())
os.environ.setdefault("ANBANG_SECRET_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("ANBANG_DATA_DIR", tempfile.mkdtemp(prefix="anbang-test-data-"))

from backend.settings import *  # noqa: E402,F403
from backend.settings import DATA_DIR, DATABASES  # noqa: E402

# A file, not :memory:, so tests can read the raw bytes at rest and subprocesses can share it.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; production uses PBKDF2

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]  # noqa: F405

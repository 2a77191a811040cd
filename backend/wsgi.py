"""WSGI entry point (gunicorn backend.wsgi).  Checks the keys against the database before serving."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
application = get_wsgi_application()

from backend.core.crypto.keyring import get_keyring  # noqa: E402

get_keyring()  # a wrong key stops the worker here, with a message naming the variable

"""WSGI entry point (gunicorn backend.wsgi).  Checks the keys against the database before serving."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
application = get_wsgi_application()

from backend.core.crypto.keyring import get_keyring  # noqa: E402

get_keyring()  # a wrong key stops the worker here, with a message naming the variable

# Everything loaded so far lives as long as the worker: move it out of the collector's sight.  Without
# this, each full (generation 2) collection walks the whole of Django, and those pauses were the maxima
# bench/api.py printed.  The URLconf is imported first so
# that the views and their modules are part of what is frozen.
import gc  # noqa: E402

from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018 (imports every view module)
gc.collect()
gc.freeze()

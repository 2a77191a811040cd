"""gunicorn's logger with ``SafeFormatter`` on its error and access logs (``up`` passes --logger-class).

The access log's path (``%(U)s``) is percent-decoded: ``/x%0a…`` arrives as a real newline.  Escaping at
the formatter covers every atom and every error-log line gunicorn writes about a bad request.
"""

from __future__ import annotations

from gunicorn.glogging import Logger

from backend.core.logs import SafeFormatter


class SafeGunicornLogger(Logger):
    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                plain = handler.formatter
                if plain is not None and not isinstance(plain, SafeFormatter):
                    handler.setFormatter(SafeFormatter(plain._fmt, plain.datefmt))

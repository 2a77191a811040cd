"""The GPS gateway (asyncio): tracker protocols, sessions, listeners, acknowledgement after commit.

Django-free: it is handed a device source and a fix sink at start (``ports.py``); the database side is
``backend/monitoring/ingest/``, wired by ``manage.py rungateway``.  See docs/architecture.md.
"""

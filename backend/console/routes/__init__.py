"""URL lists by area, one module each, joined in ``backend/console/urls.py``."""

"""Due-item handlers, one module per area; importing this package registers them all (apps.ready)."""

from backend.supervision.handlers import bench  # noqa: F401

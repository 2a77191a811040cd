"""Due-item handlers and planners: calendar (filled in by its area)."""

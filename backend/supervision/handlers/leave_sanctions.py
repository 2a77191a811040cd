"""Due-item handlers and planners: leave_sanctions (filled in by its area)."""

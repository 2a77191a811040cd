"""Due-item handlers and planners: checkins (filled in by its area)."""

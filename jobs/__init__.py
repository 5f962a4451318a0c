"""Scheduled work for `monitor run` (issue 3: the daemon). Nothing is scheduled yet."""

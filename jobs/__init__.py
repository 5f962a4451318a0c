"""The daemon's steps: stages (pure), the scan, digest rounds, and the APScheduler timer of `monitor run`."""

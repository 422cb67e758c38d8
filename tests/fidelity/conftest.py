"""The journey scripts run in the official clients' own environments, not under pytest."""

# Imported by --doctest-modules otherwise, where the official client is not installed.
collect_ignore = ["official_python_journey.py"]

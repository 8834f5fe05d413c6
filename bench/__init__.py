"""Benchmarks, run as ``python bench/<name>.py`` or ``python -m bench.<name>``; shared helpers in ``_common``."""

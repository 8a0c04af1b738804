"""Merge: pure functions from per-article extractions to one `Brief`.

No I/O, no clock, no randomness: the same extractions give the same brief.
"""

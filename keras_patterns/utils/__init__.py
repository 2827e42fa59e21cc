"""Utilities shared by every stage: image checks, file I/O, progress, sheets."""

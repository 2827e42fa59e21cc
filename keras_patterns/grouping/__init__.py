"""The composite: the five stages wired into one grouping workflow."""

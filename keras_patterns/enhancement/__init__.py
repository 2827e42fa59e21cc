"""Stage 3, enhancement: super-resolution of small patches."""

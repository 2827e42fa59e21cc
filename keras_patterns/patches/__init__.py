"""Stage 2, patch extraction: a patch that lies inside one garment."""

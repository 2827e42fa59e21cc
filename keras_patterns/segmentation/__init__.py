"""Stage 1, segmentation: which pixels belong to which garment."""

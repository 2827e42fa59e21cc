"""Stage 5, clustering: groups of embedding vectors."""

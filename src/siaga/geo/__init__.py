"""Geo: Kemendagri regions, boundaries, point-to-region lookup, H3 cells and region search."""

"""Team activation: admin."""

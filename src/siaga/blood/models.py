"""Blood service records."""

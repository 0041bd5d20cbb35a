"""Call-center event types and their payload schemas (being built)."""

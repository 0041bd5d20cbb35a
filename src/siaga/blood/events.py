"""Blood service event types and their payload schemas."""

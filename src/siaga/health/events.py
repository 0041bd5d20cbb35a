"""Community health event types and their payload schemas."""

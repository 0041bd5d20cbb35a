"""Team activation: event names and payload schemas."""

"""Community health records."""

"""Mutual aid across provinces: one record from request to return for volunteers, ambulances or items lent."""

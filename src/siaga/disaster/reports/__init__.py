"""Situation and post-disaster reports: sourced field reports, situation and final reports, 3W, exports."""

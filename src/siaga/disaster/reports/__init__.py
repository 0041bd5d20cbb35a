"""Situation and post-disaster reports: field reports with sourced figures, situation reports per period, final reports and exports."""

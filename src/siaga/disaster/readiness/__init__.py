"""Readiness and training: online training modules, SOP checklists and drills, and the readiness of each region computed from data."""

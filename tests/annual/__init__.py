"""Tests of the annual report (the year in one page)."""

"""The year in one page: an organisation's year across every capability, month by month, traceable to records."""

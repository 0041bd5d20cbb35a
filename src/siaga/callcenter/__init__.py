"""Call Center 112 / PSC 119: calls, incidents, triage, duplicates, nuisance calls, agency referrals."""

"""Team activation: alerting volunteers and teams for an event, their yes/no answers, assignments and the live roster."""

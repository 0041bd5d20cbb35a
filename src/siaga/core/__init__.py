"""Core: organisations (tenants), users, memberships with geographic scopes, permissions, audit, events."""

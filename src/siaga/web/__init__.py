"""Web shell: base templates, login, navigation per role, the reusable map, table and form styles."""

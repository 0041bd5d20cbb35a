"""Browser tests read Indonesian labels, so they need the compiled catalogue the page tests compile too."""

from tests.web.conftest import _compiled_catalogues  # noqa: F401  (autouse, session-wide)

"""FHIR fixtures: the life-cycle fixtures (a fixed today, a puskesmas midwife) reused."""

from tests.health.lifecycle.conftest import _today, lx  # noqa: F401

"""Plans fixtures reuse the health fixtures (puskesmas, two posyandu, their kader)."""

from tests.health.conftest import _fast_passwords, hx  # noqa: F401

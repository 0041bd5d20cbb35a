"""Life-cycle services API (/api/health/lifecycle/...): pregnancies and antenatal visits, immunisation, vitamin A, adult and elderly screening."""

from ninja import Router

router = Router(tags=["health-lifecycle"])

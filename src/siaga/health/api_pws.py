"""PWS dashboards API (/api/health/pws/...): coverage indicators per kelurahan, kecamatan and kab/kota per month, follow-up lists, aggregate exports."""

from ninja import Router

router = Router(tags=["health-pws"])

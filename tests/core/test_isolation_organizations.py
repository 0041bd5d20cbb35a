"""Organisation records obey the isolation checks every endpoint must pass."""

from tests.isolation import OrgIsolationSpec


class TestOrganizationIsolation(OrgIsolationSpec):
    role = "administrator"
    list_url = "/api/organizations"
    detail_urls = ["/api/organizations/{id}", "/api/organizations/{id}/audit"]
    write_requests = [("patch", "/api/organizations/{id}", {"name": "Diambil alih"})]
    page_urls = ["/organizations/{id}/"]

    def make_record(self, org):
        return org  # an organisation's own record is the tenant row here

"""The donor recall page refuses another organisation's recall (seen, sent or withdrawn by nobody else)."""

from django.utils import timezone

from tests.isolation import OrgIsolationSpec

from . import factories


class TestRecallPageIsolation(OrgIsolationSpec):
    role = "blood_bank_officer"
    org_kind = "udd"
    page_urls = ["/darah/panggil/{id}/"]
    page_posts = [("/darah/panggil/{id}/", {"action": "send"}), ("/darah/panggil/{id}/", {"action": "withdraw"})]

    def make_record(self, org):
        from siaga.blood.models import RecallCampaign

        return RecallCampaign.objects.create(organization=org, region_code=org.region_code,
                                             site=factories.site_for(org), abo="B", rhd="pos", message="x",
                                             created_at=timezone.now(), status=RecallCampaign.Status.DRAFT)

    def page_text(self, record):
        return record.site.name

    def snapshot(self, record):
        record.refresh_from_db()
        return record.status, record.messages.count()

    def test_the_owner_sees_the_page_and_the_other_organisation_gets_404(self, setting):
        own = setting["client"].get(f"/darah/panggil/{setting['mine'].pk}/")
        assert own.status_code == 200 and setting["mine"].site.name in own.content.decode()
        before = self.snapshot(setting["theirs"])
        assert setting["client"].get(f"/darah/panggil/{setting['theirs'].pk}/").status_code == 404
        assert setting["client"].post(f"/darah/panggil/{setting['theirs'].pk}/", {"action": "send"}).status_code == 404
        assert self.snapshot(setting["theirs"]) == before

"""Training modules: the quiz is checked when written, graded exactly at the pass mark, and each attempt recorded."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from siaga.core.errors import ServiceError
from siaga.core.permissions import PermissionDenied
from siaga.disaster.readiness import services
from siaga.disaster.readiness.models import TrainingCompletion, TrainingModule
from siaga.disaster.readiness.text import render
from tests.conftest import client_for

from .conftest import QUIZ, volunteer

pytestmark = pytest.mark.django_db


def test_a_pass_at_exactly_the_pass_mark_is_valid_for_the_modules_months(area, module, capture_events):
    v = volunteer(area["org"], user=area["vol_user"])
    with capture_events() as evs:
        c = services.submit_attempt(area["v"], module.pk, [0, 1, 0, 1])  # 3 of 4 = 75 % with a 75 % mark
    assert (c.correct, c.questions, c.score_percent, c.passed) == (3, 4, 75, True)
    assert c.volunteer == v and c.region_code == v.region_code
    today = services.local_today(v.region_code)
    assert c.valid_until == services.add_months(today, 12)
    [ev] = [e for e in evs if e["type"] == "training.completed"]
    assert ev["payload"]["passed"] is True and ev["organization_id"] == area["org"].pk


def test_one_wrong_answer_too_many_fails_and_is_recorded_without_validity(area, module):
    c = services.submit_attempt(area["v"], module.pk, [0, 0, 0, 1])  # 2 of 4 = 50 %
    assert (c.passed, c.score_percent, c.valid_until) == (False, 50, None)
    assert TrainingCompletion.objects.filter(user=area["vol_user"]).count() == 1


def test_every_question_must_be_answered_with_one_of_its_options(area, module):
    with pytest.raises(ServiceError) as exc:
        services.submit_attempt(area["v"], module.pk, [0, 1])
    assert exc.value.code == "answers_incomplete"
    with pytest.raises(ServiceError) as exc:
        services.submit_attempt(area["v"], module.pk, [0, 1, 7, 0])
    assert exc.value.code == "invalid_answer"
    assert not TrainingCompletion.objects.exists()


@pytest.mark.parametrize("quiz, code", [
    ([], "quiz_required"),
    ([{"question": "", "options": ["a", "b"], "answer": 0}], "invalid_quiz"),
    ([{"question": "q", "options": ["a"], "answer": 0}], "invalid_quiz"),
    ([{"question": "q", "options": ["a", "a"], "answer": 0}], "invalid_quiz"),
    ([{"question": "q", "options": ["a", "b"], "answer": 2}], "invalid_quiz"),
    ([{"question": "q", "options": ["a", "b"], "answer": True}], "invalid_quiz"),
])
def test_a_broken_quiz_is_refused_and_nothing_is_written(area, quiz, code):
    with pytest.raises(ServiceError) as exc:
        services.save_module(area["m"], code="x", title="X", body="teks", quiz=quiz)
    assert exc.value.code == code
    assert not TrainingModule.objects.exists()


def test_only_the_authoring_organisation_changes_a_module(area, module):
    with pytest.raises(PermissionDenied):
        services.save_module(area["other_manager"], module_id=module.pk, code="pp-dasar", title="Diambil",
                             body="x", quiz=QUIZ)
    with pytest.raises(PermissionDenied):
        services.save_module(area["v"], code="baru", title="Baru", body="x", quiz=QUIZ)  # volunteers take, not write
    module.refresh_from_db()
    assert module.title == "Pertolongan pertama dasar"


def test_months_are_added_calendar_wise():
    assert services.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert services.add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert services.add_months(dt.date(2026, 11, 15), -12) == dt.date(2025, 11, 15)


def test_module_text_is_escaped_then_formatted():
    html = str(render("# Langkah\n- satu **penting**\n- <script>x</script>\n\nParagraf & lain"))
    assert "<h2>Langkah</h2>" in html and "<strong>penting</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<p>Paragraf &amp; lain</p>" in html


def test_the_api_serves_the_quiz_without_its_answers_and_grades_an_attempt(area, module):
    c = client_for(area["vol_user"])
    body = c.get(f"/api/disaster/readiness/modules/{module.pk}").json()
    assert body["quiz"][0] == {"question": QUIZ[0]["question"], "options": QUIZ[0]["options"]}
    assert "answer" not in json.dumps(body["quiz"])
    r = c.post(f"/api/disaster/readiness/modules/{module.pk}/attempts", data=json.dumps({"answers": [0, 1, 0, 0]}),
               content_type="application/json")
    assert r.status_code == 201 and r.json()["passed"] is True and r.json()["score_percent"] == 100
    mine = c.get("/api/disaster/readiness/completions").json()
    assert [i["id"] for i in mine["items"]] == [r.json()["id"]]


def test_a_volunteer_takes_a_module_on_the_phone_page(area, module):
    c = client_for(area["vol_user"])
    page = c.get(f"/bencana/kesiapsiagaan/pelatihan/{module.pk}/").content.decode()
    assert "<h2>Pembuka</h2>" in page and 'name="q3"' in page
    assert "<script>" not in page.replace("<script src", "")
    r = c.post(f"/bencana/kesiapsiagaan/pelatihan/{module.pk}/", {"q0": "1", "q1": "0", "q2": "1", "q3": "1"})
    assert 'data-result="failed"' in r.content.decode()
    r = c.post(f"/bencana/kesiapsiagaan/pelatihan/{module.pk}/", {"q0": "0", "q1": "1", "q2": "0"})
    assert "data-result" not in r.content.decode() and TrainingCompletion.objects.count() == 1  # q3 missing
    r = c.post(f"/bencana/kesiapsiagaan/pelatihan/{module.pk}/", {"q0": "0", "q1": "1", "q2": "0", "q3": "0"})
    assert 'data-result="passed"' in r.content.decode()
    listing = c.get("/bencana/kesiapsiagaan/pelatihan/").content.decode()
    assert "light--green" in listing


def test_the_demo_content_is_valid_and_loads_once(area):
    from siaga.disaster.readiness import demo

    assert demo.load(area["m"]) == {"checklists": 3, "modules": 2}
    assert demo.load(area["m"]) == {"checklists": 0, "modules": 0}
    module = TrainingModule.objects.get(code="pertolongan-pertama-dasar")
    assert module.skill.code == "first_aid" and len(module.quiz) == 5

"""The agency's referral page and the call center's board: what each shows, the buttons, live wiring, markup."""

import re
from html.parser import HTMLParser

from django.contrib.staticfiles import finders
from django.urls import reverse

from siaga.callcenter.models import Referral
from tests.conftest import client_for

from .referrals_helpers import make_incident, make_referral, quick_user, world  # noqa: F401

AGENCY = "/callcenter/rujukan/"
BOARD = "/callcenter/rujukan/papan/"


class _Markup(HTMLParser):
    """What a strict Content-Security-Policy refuses (inline scripts, handlers, style attributes), and the forms."""

    def __init__(self):
        super().__init__()
        self.problems, self.forms, self.scripts = [], [], []
        self._form = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for name, _value in attrs:
            if name.startswith("on") or name == "style":
                self.problems.append(f"<{tag} {name}>")
        if tag == "script":
            if not a.get("src"):
                self.problems.append("inline <script>")
            else:
                self.scripts.append(a["src"])
        if tag == "form":
            self._form = {"action": a.get("action"), "method": a.get("method"), "csrf": False}
            self.forms.append(self._form)
        if tag == "input" and self._form is not None and a.get("name") == "csrfmiddlewaretoken":
            self._form["csrf"] = True

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _markup(html):
    m = _Markup()
    m.feed(html)
    return m


def test_the_agency_page_shows_its_referrals_and_nothing_of_other_agencies(world):
    inc = world.incident(status="referred", description="Motor menabrak pembatas jalan")
    mine = make_referral(inc, world.psc)
    make_referral(inc, world.police, resources="2 personel lalu lintas", note="rahasia polisi")
    make_referral(world.incident(status="referred", description="Kasus lain untuk polisi"), world.police)
    r = world.client("psc_liaison").get(AGENCY)
    assert r.status_code == 200
    html = r.content.decode()
    assert inc.number in html and "Motor menabrak pembatas jalan" in html and "Kranggan" in html
    assert "Kecelakaan lalu lintas (uji)" in html and ">P1<" in html
    assert f'id="referral-{mine.pk}"' in html
    assert "Polres" not in html and "rahasia polisi" not in html and "Kasus lain" not in html
    m = _markup(html)
    assert m.problems == []
    actions = {f["action"] for f in m.forms if f["method"] == "post"}
    assert reverse("callcenter:referrals_action", args=[mine.pk, "acknowledge"]) in actions
    assert reverse("callcenter:referrals_action", args=[mine.pk, "decline"]) in actions
    assert all(f["csrf"] for f in m.forms if f["method"] == "post")
    assert any(src.endswith("callcenter/referrals.js") for src in m.scripts)
    assert 'data-stream-url="/api/stream?topics=referrals"' in html


def test_the_buttons_follow_the_state(world):
    inc = world.incident(status="referred")
    acknowledged = make_referral(inc, world.psc, status="acknowledged")
    html = world.client("psc_liaison").get(AGENCY).content.decode()
    for action in ("commit", "close", "decline"):
        assert reverse("callcenter:referrals_action", args=[acknowledged.pk, action]) in html
    assert reverse("callcenter:referrals_action", args=[acknowledged.pk, "acknowledge"]) not in html


def test_pressing_acknowledge_on_the_page_acknowledges(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    c = world.client("psc_liaison")
    r = c.post(reverse("callcenter:referrals_action", args=[ref.pk, "acknowledge"]))
    assert r.status_code == 302 and r["Location"].endswith(f"#referral-{ref.pk}")
    ref.refresh_from_db()
    assert ref.status == "acknowledged"
    page = c.get(r["Location"].split("#")[0]).content.decode()
    assert "msg--success" in page


def test_a_refused_action_shows_the_reason_and_changes_nothing(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    c = world.client("psc_liaison")
    r = c.post(reverse("callcenter:referrals_action", args=[ref.pk, "decline"]), {"reason": ""}, follow=True)
    assert r.status_code == 200 and b"msg--error" in r.content
    ref.refresh_from_db()
    assert ref.status == "requested"


def test_the_page_refuses_forms_without_csrf(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    c = world.client("psc_liaison")
    c.handler.enforce_csrf_checks = True
    r = c.post(reverse("callcenter:referrals_action", args=[ref.pk, "acknowledge"]))
    assert r.status_code == 403
    ref.refresh_from_db()
    assert ref.status == "requested"


def test_another_agency_posting_to_the_referral_gets_404(world):
    ref = make_referral(world.incident(status="referred"), world.psc)
    for action in ("acknowledge", "decline", "commit", "close"):
        r = world.client("police_liaison").post(reverse("callcenter:referrals_action", args=[ref.pk, action]),
                                                {"reason": "x", "resources": "x"})
        assert r.status_code == 404
    assert Referral.objects.get(pk=ref.pk).status == "requested"


def test_call_center_staff_are_sent_to_the_board(world):
    r = world.client("call_taker").get(AGENCY)
    assert r.status_code == 302 and r["Location"] == BOARD


def test_the_board_groups_open_referrals_by_agency_with_their_state(world, make_org):
    inc = world.incident(status="referred", priority=1)
    late = make_referral(inc, world.psc, minutes_ago=10)
    make_referral(inc, world.police, status="acknowledged")
    make_referral(inc, world.fire, status="closed")
    other_cc = make_org(kind="cc112", region_code="35.76", name="CC 112 lain")
    make_referral(make_incident(other_cc, world.types["uji-pohon"]), world.regency_police)
    r = world.client("dispatcher").get(BOARD)
    assert r.status_code == 200
    html = r.content.decode()
    assert "PSC 119 Kota Mojokerto" in html and "Polres Mojokerto Kota" in html
    assert "Damkar Kota Mojokerto" not in html  # closed referrals leave the board
    assert "Polres Mojokerto<" not in html and "CC 112 lain" not in html
    assert f'data-referral-id="{late.pk}"' in html and "ref--overdue" in html and "ref--acknowledged" in html
    # The overdue agency comes first.
    assert html.index("PSC 119 Kota Mojokerto") < html.index("Polres Mojokerto Kota")
    assert _markup(html).problems == []
    assert re.search(r'data-deadline="[^"]+"', html)


def test_the_board_fragment_is_the_live_part_only(world):
    make_referral(world.incident(status="referred"), world.psc)
    r = world.client("dispatcher").get(reverse("callcenter:referrals_board_fragment"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "<html" not in html and "PSC 119 Kota Mojokerto" in html and "data-server-now" in html


def test_the_agency_fragment_is_only_for_agencies(world):
    make_referral(world.incident(status="referred"), world.psc)
    assert "PSC 119" not in world.client("police_liaison").get(
        reverse("callcenter:referrals_agency_fragment")).content.decode()
    assert world.client("call_taker").get(reverse("callcenter:referrals_agency_fragment")).status_code == 403


def test_the_pages_need_a_login_and_the_permission(world, client, make_org):
    assert client.get(BOARD).status_code == 302
    assert client.get(AGENCY).status_code == 302
    leader = quick_user("leader", world.cc, scope_code="35.76", username="pimpinan")
    assert client_for(leader).get(BOARD).status_code == 200  # leaders watch the board, read-only
    assert client_for(leader).get(AGENCY).url == BOARD  # answers no referral: sent to the board
    kader = quick_user("kader", world.cc, scope_code="35.76", username="kader-x")
    assert client_for(kader).get(BOARD).status_code == 403


def test_the_page_assets_exist():
    assert finders.find("callcenter/referrals.js")
    assert finders.find("callcenter/referrals.css")


def test_the_pages_cost_the_same_queries_for_many_referrals(world, django_assert_max_num_queries):
    board, agency = world.client("dispatcher"), world.client("psc_liaison")
    make_referral(world.incident(status="referred"), world.psc)
    with django_assert_max_num_queries(200) as few:
        board.get(BOARD)
        agency.get(AGENCY)
    for _ in range(6):
        inc = world.incident(status="referred")
        make_referral(inc, world.psc, status="acknowledged")
        make_referral(inc, world.police)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        assert board.get(BOARD).status_code == 200
        assert agency.get(AGENCY).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)

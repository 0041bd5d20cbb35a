"""Scenario 2 end to end (docs SCENARIOS.md): a prank wave on a Saturday night at Call Center 112 Kota Mojokerto,
from the first silent call to the nuisance share on the next morning's evaluation page.

Fifty silent and prank calls come from a handful of numbers between 21:40 and 01:40 WIB, among three real
calls. The call-taker closes the first five on the real call-taker screen (a real browser under the strict
CSP) with the one-key shortcut (Alt+P / Alt+S), a reason key and Enter; the other forty-five go through the
same services the screen's API calls (start_call, answer_call, close_call), each at its own time of the night.
The clock is moved with time-machine (the in-thread server shares it), so the night is a real Saturday night
and the morning a real Sunday morning for every timestamp the system records. The next morning the head of the
call center opens the evaluation page; every figure on it is checked against the Call records. All database
work runs off the Playwright thread.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from siaga.callcenter import services as cc
from siaga.callcenter.models import NUISANCE_OUTCOMES, Call, CallerNumber, CallOutcome
from siaga.callcenter.stats import mask_number
from siaga.callcenter.taxonomy import seed_taxonomy
from siaga.core.permissions import actor_for
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.callcenter.conftest import member
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)
from tests.web.conftest import _compiled_catalogues  # noqa: F401  (autouse: Indonesian pages)

time_machine = pytest.importorskip("time_machine")

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

WIB = ZoneInfo("Asia/Jakarta")
# Generous, so a loaded machine cannot make it flaky.
LIVE_MS = 10000

# The handful of numbers of the wave, as the call-taker types them and as the records keep them (E.164).
A = ("081311110001", "+6281311110001")  # 15 calls: prank and silent; the first four on the screen
B = ("081311120002", "+6281311120002")  # 12 silent calls
C = ("085722220003", "+6285722220003")  # 10 calls, prank and silent
D = ("087733330004", "+6287733330004")  # 11 calls: prank, silent and one accidental
E = ("081944440005", "+6281944440005")  # 2 silent calls (one on the screen), and one prank 45 days ago
REAL = ("081255550006", "085655550007", "082255550008")  # three real callers asking for information


@pytest.fixture(autouse=True)
def quick(settings):
    settings.SIAGA_SSE_HEARTBEAT = 0.5
    cache.clear()


def _last_saturday() -> dt.date:
    """The Saturday before today (a week ago when today is Saturday): the night lies in the past, so the sessions
    made now are still valid then."""
    today = timezone.now().astimezone(WIB).date()
    back = (today.weekday() - 5) % 7 or 7
    return today - dt.timedelta(days=back)


def _at(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WIB)


@pytest.fixture
def night(asgi_server, regions, make_org):
    """Call Center 112 Kota Mojokerto with its night call-taker and its head; written before Playwright starts."""
    seed_taxonomy()  # a transactional test's flush removed what the data migration wrote
    center = make_org(kind="cc112", region_code="35.76", name="Call Center 112 Kota Mojokerto")
    make_org(kind="psc119", region_code="35.76", name="PSC 119 Kota Mojokerto")
    taker = member("call_taker", center, "35.76", "penerima-malam")
    head = member("leader", center, "35.76", "kepala-112")
    host = asgi_server.url.split("//", 1)[1].split(":")[0]

    def cookie(user):
        return [{"name": "sessionid", "value": client_for(user).cookies["sessionid"].value, "domain": host,
                 "path": "/"}]

    saturday = _last_saturday()
    return SimpleNamespace(center=center, taker=taker, head=head, cookies={"taker": cookie(taker),
                                                                           "head": cookie(head)},
                           saturday=saturday, sunday=saturday + dt.timedelta(days=1))


def _page(browser, base, cookies, problems):  # noqa: F811
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID")
    context.add_cookies(cookies)
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    # The live stream is left alone: fetching it whole to add a header would never finish.
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    return context, page


def _history(page, state: str, earlier: tuple[int, int] | None) -> None:
    """Wait for the caller's history as the screen shows it once the number is typed: its state and, for a known
    number, the earlier calls and how many were nuisance (the form is emptied between calls, so a rendered
    summary is this number's)."""
    if earlier is None:
        page.wait_for_selector(f"[data-history][data-state='{state}'] .ct-history__none", timeout=LIVE_MS)
        return
    summary = page.locator(f"[data-history][data-state='{state}'] .ct-history__summary")
    summary.wait_for(timeout=LIVE_MS)
    assert [int(n) for n in re.findall(r"\d+", summary.inner_text())] == list(earlier)
    # A flagged number carries the warning, as an alert, above its record; never a refusal to take the call.
    flags = page.locator("[data-history] .ct-flag[role=alert]").count()
    assert flags >= 1 if state == "flagged" else flags == 0


def _close_on_screen(page, number: str, key: str, reason_key: str | None, state: str,
                     earlier: tuple[int, int] | None) -> str:
    """One call on the call-taker screen: the number typed opens it, Alt+key picks the outcome, a digit picks the
    reason (or the first stays picked), Enter closes it. Returns the reason the dialog had picked."""
    page.keyboard.type(number, delay=10)
    page.wait_for_selector("[data-calltaker][data-phase='active']", timeout=LIVE_MS)
    _history(page, state, earlier)
    page.keyboard.press(f"Alt+{key}")
    page.locator("[data-reason-dialog]").wait_for(state="visible", timeout=LIVE_MS)
    if reason_key:
        page.keyboard.press(reason_key)
    reason = page.locator("[data-reason-options] input:checked").input_value()
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-calltaker][data-phase='done']", timeout=LIVE_MS)
    assert reason in page.locator("[data-result]").inner_text()
    return reason


def _schedule(saturday: dt.date) -> list[tuple[dt.datetime, str, str, str]]:
    """The forty-five calls of the wave not taken on the screen, and the three real ones, every five minutes
    from 21:55 to 01:50 (past midnight, so the night spans two local days), the numbers interleaved."""
    silent, prank = "silent", "prank"
    calls = (
        [(A[0], prank if i % 2 else silent, "Penelepon tertawa" if i % 2 else "Tidak ada suara") for i in range(11)]
        + [(B[0], silent, "Tidak ada suara, saluran terbuka") for _i in range(12)]
        + [(C[0], prank if i % 3 else silent, "Anak-anak bermain telepon" if i % 3 else "Hening") for i in range(10)]
        + [(D[0], "accidental", "Salah sambung") if i == 5 else (D[0], prank, "Laporan palsu") if i % 2
           else (D[0], silent, "Hanya suara latar") for i in range(11)]
        + [(E[0], silent, "Langsung ditutup")]
    )
    # Deal the numbers out in turn, as a wave from a few phones comes, and put the real callers in between.
    by_number: dict[str, list] = {}
    for c in calls:
        by_number.setdefault(c[0], []).append(c)
    queues = list(by_number.values())
    dealt = []
    while any(queues):
        for q in queues:
            if q:
                dealt.append(q.pop(0))
    for i, number in enumerate(REAL):
        dealt.insert(8 + 15 * i, (number, "information", "Menanyakan nomor telepon PLN"))
    start = _at(saturday, 21, 55)
    return [(start + dt.timedelta(minutes=5 * i), n, o, r) for i, (n, o, r) in enumerate(dealt)]


def test_a_prank_wave_on_a_saturday_night(night, asgi_server, browser):  # noqa: F811
    base = asgi_server.url
    w = night
    problems: list[str] = []
    contexts = []

    def taker():
        return actor_for(w.taker)

    def one_call(number, outcome, reason):
        a = taker()
        call = cc.start_call(a, channel="phone", caller_number=number)
        cc.answer_call(a, call.pk)
        return cc.close_call(a, call.pk, outcome=outcome, reason=reason)

    # --- 0. Forty-five days earlier the number E once called as a prank: outside the 30-day window.
    def old_prank():
        with time_machine.travel(_at(w.saturday - dt.timedelta(days=45), 20, 0), tick=True):
            one_call(E[0], "prank", "Penelepon tertawa")

    in_thread(old_prank)

    # --- 1. 21:40, Saturday. The first five calls on the call-taker screen, closed with one key each.
    with time_machine.travel(_at(w.saturday, 21, 40), tick=True):
        ctx, page = _page(browser, base, w.cookies["taker"], problems)
        contexts.append(ctx)
        page.goto(f"{base}/callcenter/")
        page.wait_for_selector("[data-siaga-map][data-state='ready']", timeout=15000)
        assert page.locator("[data-calltaker]").get_attribute("data-phase") == "idle"
        # Laughter, then nothing: Alt+P with the second reason, Alt+P with the first, Alt+S.
        reasons = [_close_on_screen(page, A[0], "p", "2", "new", None)]
        reasons.append(_close_on_screen(page, A[0], "p", None, "known", (1, 1)))
        reasons.append(_close_on_screen(page, A[0], "s", None, "known", (2, 2)))
        # Three nuisance calls in 30 days: A's fourth call is answered like any other, with the warning in sight.
        reasons.append(_close_on_screen(page, A[0], "p", None, "flagged", (3, 3)))
        # E's one old prank shows in its history, but one nuisance call in 45 days does not flag a number.
        reasons.append(_close_on_screen(page, E[0], "s", None, "known", (1, 1)))

    def on_screen():
        return list(Call.objects.filter(organization=w.center, started_at__gte=_at(w.saturday, 21, 0))
                    .order_by("started_at", "pk")
                    .values("caller_number", "outcome", "outcome_reason", "answered_at", "taken_by_id",
                            "started_at"))

    screen = in_thread(on_screen)
    assert [(c["caller_number"], c["outcome"]) for c in screen] == [
        (A[1], "prank"), (A[1], "prank"), (A[1], "silent"), (A[1], "prank"), (E[1], "silent")]
    assert [c["outcome_reason"] for c in screen] == reasons
    assert reasons[0] != reasons[1]  # the "2" key picked the second reason of the list
    for c in screen:
        assert c["answered_at"] is not None and c["taken_by_id"] == w.taker.pk
        assert c["started_at"].astimezone(WIB).date() == w.saturday  # the night's own clock

    # --- 2. The rest of the night, call by call at its own time, through the services the screen calls.
    schedule = _schedule(w.saturday)
    assert sum(1 for s in schedule if s[2] in NUISANCE_OUTCOMES) == 45 and len(schedule) == 48

    def calls(batch):
        def run():
            for when, number, outcome, reason in batch:
                with time_machine.travel(when, tick=True):
                    one_call(number, outcome, reason)

        return run

    for i in range(0, len(schedule), 8):  # short batches: each thread finishes well within its time limit
        in_thread(calls(schedule[i:i + 8]))

    # --- 3. The records: fifty nuisance calls, every call answered and closed, the wave's numbers flagged.
    def records():
        night_calls = list(Call.objects.filter(organization=w.center, started_at__gte=_at(w.saturday, 0, 0))
                           .order_by("started_at", "pk"))
        callers = {r.number: r for r in CallerNumber.objects.filter(organization=w.center)}
        return night_calls, callers

    night_calls, callers = in_thread(records)
    nuisance = [c for c in night_calls if c.outcome in NUISANCE_OUTCOMES]
    assert len(nuisance) == 50 and len(night_calls) == 53
    assert {c.caller_number for c in nuisance} == {A[1], B[1], C[1], D[1], E[1]}
    for c in night_calls:  # none dropped: each answered, closed with an outcome, and a reason for nuisance
        assert c.answered_at is not None and c.ended_at is not None and c.outcome and c.outcome_at, c
        assert c.outcome_reason, c
    assert night_calls[-1].started_at.astimezone(WIB).date() == w.sunday  # past midnight
    for number in (A[1], B[1], C[1], D[1]):
        rec = callers[number]
        mine = [c for c in nuisance if c.caller_number == number]
        assert rec.flagged and rec.policy == CallerNumber.Policy.WARN, number
        # Flagged by its third nuisance call of the window, not before and not later.
        assert rec.flagged_at == mine[2].outcome_at, number
        assert (rec.total_calls, rec.nuisance_calls) == (len(mine), len(mine)), number
    # E: three nuisance calls in all, but only two in the last 30 days: not flagged.
    assert (callers[E[1]].nuisance_calls, callers[E[1]].flagged) == (3, False)
    for number in REAL:
        rec = callers[f"+62{number[1:]}"]
        assert (rec.total_calls, rec.nuisance_calls, rec.flagged) == (1, 0, False)
    # A flagged number's later calls were still started and answered, only marked with the warning.
    later_a = [c for c in night_calls if c.caller_number == A[1]][3:]
    assert later_a and all(c.caller_flagged and c.answered_at for c in later_a)

    # --- 4. 07:30 on Sunday: the head of the call center opens the evaluation page.
    with time_machine.travel(_at(w.sunday, 7, 30), tick=True):
        ctx, board = _page(browser, base, w.cookies["head"], problems)
        contexts.append(ctx)
        board.goto(f"{base}/callcenter/evaluasi/")
        board.wait_for_selector("canvas[data-chart='chart-nuisance-day'][data-chart-ready]", timeout=LIVE_MS)
        shown = board.evaluate("""() => {
            const text = (el) => el.textContent.trim();
            const rows = (name) => [...document.querySelectorAll(`[data-table='${name}'] tbody tr`)]
                .map(tr => [...tr.children].map(text));
            return {
                calls: text(document.querySelector("[data-stat='calls']")),
                share: text(document.querySelector("[data-stat='nuisance-share']")),
                shareLabel: text(document.querySelector("[data-stat='nuisance-share']").nextElementSibling),
                numbers: rows("nuisance-numbers"),
                hours: rows("calls-hour"),
                days: rows("calls-day"),
                from: document.querySelector("#eval-from").value,
                to: document.querySelector("#eval-to").value,
            };
        }""")

    # The page's period: the seven local days up to this Sunday; the old prank lies outside it.
    assert (shown["from"], shown["to"]) == ((w.sunday - dt.timedelta(days=6)).isoformat(), w.sunday.isoformat())
    total, bad = len(night_calls), len(nuisance)
    assert shown["calls"] == str(total) == "53"
    assert shown["share"] == f"{round(100 * bad / total)}%" == "94%"
    assert f"({bad})" in shown["shareLabel"]
    # Worst numbers first, masked for a head who does not take calls; each row equals the records.
    per_number = Counter(c.caller_number for c in night_calls)
    bad_per_number = Counter(c.caller_number for c in nuisance)
    expected = sorted(bad_per_number, key=lambda n: (-bad_per_number[n], -per_number[n], n))
    assert [r[0] for r in shown["numbers"]] == [mask_number(n) for n in expected]
    assert [(int(r[1]), int(r[2])) for r in shown["numbers"]] == [(per_number[n], bad_per_number[n])
                                                                  for n in expected]
    assert [n for n in expected if callers[n].flagged] == [A[1], B[1], D[1], C[1]]
    # Per hour of the night, per outcome (the columns in CallOutcome order, then "not closed"), from the records.
    outcomes = [o for o, _label in CallOutcome.choices] + ["open"]
    by_hour: dict[int, Counter] = {}
    for c in night_calls:
        by_hour.setdefault(c.started_at.astimezone(WIB).hour, Counter())[c.outcome or "open"] += 1
    assert len(shown["hours"]) == 24
    for row in shown["hours"]:
        hour = int(row[0][:2])
        counts = by_hour.get(hour, Counter())
        assert [int(x) for x in row[1:]] == [counts[o] for o in outcomes] + [sum(counts.values())], row
    assert all(int(row[len(outcomes)]) == 0 for row in shown["hours"])  # nothing left unanswered
    assert set(by_hour) == {21, 22, 23, 0, 1}
    # Per local day: Saturday evening and the hours after midnight, which belong to Sunday.
    day_totals = [int(r[-1]) for r in shown["days"]]
    per_day = Counter(c.started_at.astimezone(WIB).date() for c in night_calls)
    assert day_totals == [per_day[w.sunday - dt.timedelta(days=6 - i)] for i in range(7)]
    assert day_totals[-2:] == [per_day[w.saturday], per_day[w.sunday]] and sum(day_totals) == total

    assert problems == [], problems
    for c in contexts:
        c.close()

"""Scenario 6 end to end (docs SCENARIOS.md): at the annual working meeting, PMI Kota Mojokerto opens its year.

Its leader opens /laporan/tahunan/ in a real browser under the strict CSP: calls answered, units dispatched,
response times against targets, bags served, units outdated and people helped, month by month. Each figure opens
the records it counts (the count on the records page is the figure), the relief records open the distributions
page, the year prints without the menu or the buttons, the XLSX download carries the page's figures with one
sheet of records per figure, and last year is one choice away. The records are PMI's 2025 of tests/annual/conftest.py
(months in WIB: a call at 00:30 on 1 March is March's, though UTC says February).
"""

from __future__ import annotations

import io

import pytest

from tests.annual.conftest import YEAR, year  # noqa: F401  (fixture)
from tests.browser_support import browser, in_thread, with_strict_csp  # noqa: F401  (browser is a fixture)
from tests.conftest import client_for
from tests.servers import asgi_server  # noqa: F401  (fixture)
from tests.web.conftest import _compiled_catalogues  # noqa: F401  (autouse: Indonesian pages)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


def _cell(page, figure: str, month) -> str:
    return page.locator(f'tr[data-figure="{figure}"] td[data-month="{month}"]').inner_text().strip()


def test_the_year_in_one_page(year, asgi_server, browser, tmp_path):  # noqa: F811
    base = asgi_server.url
    host = base.split("//", 1)[1].split(":")[0]
    problems: list[str] = []
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="id-ID", accept_downloads=True)
    session = in_thread(lambda: client_for(year.users["leader"]).cookies["sessionid"].value)  # DB off this loop
    context.add_cookies([{"name": "sessionid", "value": session, "domain": host, "path": "/"}])
    page = context.new_page()
    page.on("console", lambda m: problems.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"{page.url}: {e}"))
    page.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)

    # --- 1. The menu leads to the report; the year is chosen on the page.
    page.goto(f"{base}/")
    page.get_by_role("link", name="Laporan tahunan").first.click()
    page.wait_for_url(f"{base}/laporan/tahunan/")
    page.select_option("#tahun", str(YEAR))
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_url(f"**/laporan/tahunan/?tahun={YEAR}")
    assert f"PMI Kota Mojokerto: tahun {YEAR}" in page.locator("h1").inner_text()

    # --- 2. The figures, month by month, in Indonesian number format.
    assert _cell(page, "calls_received", 1) == "3" and _cell(page, "calls_received", 3) == "1"
    assert _cell(page, "calls_answered", "year") == "3"
    assert _cell(page, "dispatches", "year") == "3"
    assert _cell(page, "response_minutes", 1) == "8,0" and _cell(page, "response_minutes", 3) == "40,0"
    assert _cell(page, "response_minutes", 4) == "—"  # no arrival in April: no made-up zero
    assert _cell(page, "within_target", "year") == "50,0"
    assert _cell(page, "bags_served", 6) == "2" and _cell(page, "blood_outdated", 8) == "1"
    assert _cell(page, "people_helped", 11) == "200" and _cell(page, "people_helped", "year") == "250"
    targets = page.locator(".targets").inner_text()
    assert "P1 mengancam nyawa: 10 menit" in targets and "P2 gawat: 20 menit" in targets
    headline = page.locator("[data-headline] a")
    assert dict(zip(headline.evaluate_all("links => links.map(a => a.dataset.headline)"),
                    [t.strip() for t in headline.all_inner_texts()])) == {
        "calls_answered": "3", "dispatches": "3", "within_target": "50,0", "bags_served": "2", "blood_outdated": "1",
        "people_helped": "250"}

    # --- 3. Every figure opens the records it counts.
    page.locator('tr[data-figure="people_helped"] td[data-month="11"] a').click()
    page.wait_for_url("**/laporan/tahunan/rincian/**")
    assert page.locator("[data-count]").inner_text().strip() == "2"
    assert page.locator("[data-value]").inner_text().strip() == "200"
    assert sorted(int(x) for x in page.locator("[data-record]").evaluate_all(
        "rows => rows.map(r => r.dataset.record)")) == sorted(d.pk for d in year.distributions[:2])
    page.locator("[data-record] a").first.click()
    page.wait_for_url("**/bencana/logistik/distribusi/")
    page.go_back()
    page.get_by_role("link", name=f"Tahun {YEAR}").click()
    page.locator('tr[data-figure="calls_received"] td[data-month="3"] a').click()
    page.wait_for_url("**/rincian/**")
    (march_call,) = page.locator("[data-record]").evaluate_all("rows => rows.map(r => r.dataset.record)")
    assert int(march_call) == year.calls[3].pk  # 00:30 WIB on 1 March
    assert "01-03-2025 00:30" in page.locator("[data-records]").inner_text()
    page.go_back()

    # --- 4. Printable: the menu, the year form and the buttons are not printed; every section is.
    page.emulate_media(media="print")
    assert not page.locator("form.no-print").is_visible()
    assert not page.locator(".site-menu").is_visible()
    assert page.locator("table.annual").count() == 4 and page.locator("table.annual").first.is_visible()
    page.emulate_media(media="screen")

    # --- 5. Exportable: the XLSX holds the page's figures and, per figure, the records behind them.
    with page.expect_download() as got:
        page.locator('[data-download="xlsx"]').click()
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(open(got.value.path(), "rb").read()))
    head = [c.value for c in wb[str(YEAR)][1]]
    rows = {r[0]: dict(zip(head, r)) for r in wb[str(YEAR)].iter_rows(min_row=2, values_only=True)}
    assert rows["people_helped"]["m11"] == 200 and rows["calls_answered"]["year"] == 3
    assert wb["people_helped"].max_row == 1 + 3 and wb["dispatches"].max_row == 1 + 3
    with page.expect_download() as pdf:
        page.locator('[data-download="pdf"]').click()
    assert open(pdf.value.path(), "rb").read(5) == b"%PDF-"

    # --- 6. Last year is one choice away: the call of 31 December 2024 23:59 WIB is there.
    page.select_option("#tahun", str(YEAR - 1))
    page.get_by_role("button", name="Tampilkan").click()
    page.wait_for_url(f"**/laporan/tahunan/?tahun={YEAR - 1}")
    assert _cell(page, "calls_received", 12) == "1" and _cell(page, "calls_received", "year") == "1"

    # --- 7. On a phone the table scrolls inside its box; the page itself does not scroll sideways.
    phone = context.new_page()
    phone.set_viewport_size({"width": 360, "height": 740})
    phone.route(lambda u: u.startswith(base) and "/api/stream" not in u, with_strict_csp)
    phone.goto(f"{base}/laporan/tahunan/?tahun={YEAR}")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    context.close()
    assert not problems, problems

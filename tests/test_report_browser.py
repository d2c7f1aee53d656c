"""The HTML report in a real browser (Debian's chromium): no console errors, its charts drawn, nothing fetched,
the hostile post shown as text, and it fits A4 and Letter when printed; and downloaded from the Reports page."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_browser import CHROMIUM, browser_page, choose, server, wait_idle  # noqa: F401 - fixtures
from test_report_files import HOSTILE, NOW, build_golden

from campaigns import clock, report_files
from campaigns.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
# The printable width of each paper at 96 CSS pixels an inch, less the report's 14 mm margins.
PRINTABLE_PX = {"A4": round((210 - 28) / 25.4 * 96), "Letter": round((215.9 - 28) / 25.4 * 96)}


def open_report(page, path: Path) -> tuple[list[str], list[str]]:
    """Open a report file; returns (console errors and page errors, URLs it asked for)."""
    errors, requested = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requested.append(request.url))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return errors, requested


def assert_charts_drawn(page, *, expected: bool = True, bars: int = 8) -> None:
    for side in ("ours", "opposing"):
        line = page.locator(f'svg[data-chart="hourly"] path.series.{side}')
        box = line.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 0, side
    assert page.locator('svg[data-chart="hourly"] path.series.expected').count() == (1 if expected else 0)
    drawn = page.locator('svg[data-chart="windows"] rect.bar')
    assert drawn.count() == bars and all(drawn.nth(i).bounding_box()["height"] > 0 for i in range(bars))


def test_the_html_report_in_a_real_browser(tmp_path, browser_page):  # noqa: F811
    database = tmp_path / "golden.db"
    build_golden(database)
    with clock.pinned(NOW), Store.open(database) as store:
        report = store.reports.report(store.reports.find("action:1"), NOW)
    path = tmp_path / "report.html"
    path.write_text(report_files.html_report(report), encoding="utf-8")

    page = browser_page
    errors, requested = open_report(page, path)
    assert errors == []
    assert requested == [path.as_uri()]  # self-contained: nothing else is fetched
    assert_charts_drawn(page)
    # The hostile post is on the page as words, and none of its markup took effect.
    assert page.get_by_text(HOSTILE).is_visible()
    assert page.evaluate("document.querySelectorAll('script, img, iframe').length") == 0
    assert page.evaluate("[...document.querySelectorAll('a')].every(a => a.href.startsWith('https://'))")

    page.emulate_media(media="print")
    for paper, width in PRINTABLE_PX.items():
        page.set_viewport_size({"width": width, "height": 1000})
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"wider than {paper} paper by {overflow}px"
        pdf = page.pdf(format=paper)
        assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2


def test_the_reports_page_offers_the_html_report_to_download(server, browser_page, tmp_path):  # noqa: F811
    page = browser_page
    # The page by its address, as a bookmark reaches it (the navigation folds its longer sections).
    page.goto(f"{server}/reports")
    wait_idle(page)
    page.get_by_role("heading", name="Reports").first.wait_for()
    charts = page.locator('[data-testid="stImage"] img')
    charts.nth(1).wait_for()
    wait_idle(page)
    assert charts.count() == 2 and charts.first.bounding_box()["width"] > 300
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download HTML").click()
    download = downloading.value
    assert download.suggested_filename.endswith(".html")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    errors, _ = open_report(page, saved)
    assert errors == []
    assert page.get_by_role("heading", name="In short").is_visible()
    # The demo's launch comes before it has earlier weeks: no weekly pattern, and its week-before
    # baseline is "no data" (two sides' bars fewer).
    assert_charts_drawn(page, expected=False, bars=6)

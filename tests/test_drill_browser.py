"""One click in a real browser: a Traction bar opens the Posts page on its posts, the total there equal to the bar."""

from __future__ import annotations

import re

# The browser harness's fixtures, and its marks: browser, skipped without Debian's chromium.
from test_browser import browser_page, open_traction_to_date, pytestmark, server, wait_idle  # noqa: F401


def test_clicking_a_bar_lands_on_posts_with_the_bars_count(server, browser_page):  # noqa: F811
    page = browser_page
    page.goto(server)
    wait_idle(page)
    open_traction_to_date(page)

    chart = page.locator(".js-plotly-plot").first
    chart.scroll_into_view_if_needed()
    bars = chart.locator("g.trace.bars g.point path")
    bars.first.wait_for()
    # The tallest bar clear of the markers' labels (a label takes the click above it). Plotly
    # takes clicks on its drag layer above the bars, by position: click where the bar is drawn.
    labels = [b for i in range(chart.locator("g.annotation").count())
              if (b := chart.locator("g.annotation").nth(i).bounding_box())]

    def spot(box):
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        clear = not any(a["x"] - 4 <= x <= a["x"] + a["width"] + 4 and a["y"] - 4 <= y <= a["y"] + a["height"] + 4
                        for a in labels)
        return (x, y) if clear and box["height"] > 6 else None

    boxes = [b for i in range(bars.count()) if (b := bars.nth(i).bounding_box()) and spot(b)]
    x, y = spot(max(boxes, key=lambda b: b["height"]))
    page.mouse.click(x, y)
    wait_idle(page)
    page.get_by_role("heading", name="Posts", exact=True).wait_for()
    wait_idle(page)

    note = page.locator('[data-testid="stAlertContentInfo"]').filter(has_text="From the chart").inner_text()
    # The note is shown as literal text: a word joiner follows each colon.
    shown = int(re.search(r"”:\W*([\d,]+) ", note).group(1).replace(",", ""))
    assert "original posts" in note or "reposts" in note, note   # the bar clicked, one platform's
    total = int(re.search(r"([\d,]+) post\(s\) ·", page.get_by_text(re.compile(r"post\(s\) · page")).inner_text())
                .group(1).replace(",", ""))
    assert total == shown > 0
    assert "from=" in page.url and "campaign=" in page.url

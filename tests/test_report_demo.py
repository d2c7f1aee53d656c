"""The demo's calls to action and events give reports that find the bursts the demo made, and no report quotes abuse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import DEMO_UNTIL
from scipy import stats

from campaigns import report_files
from campaigns.store import Store
from demo.data import ABUSIVE_TEXTS, demo_campaigns, expected_hourly

STARTS = DEMO_UNTIL - timedelta(days=30)  # the demo_db fixture: 6,000 mentions over 30 days


def expected_in(truth: list[float], window) -> float:
    """Mentions the demo expects in a window of whole hours."""
    first = int((window.start - STARTS).total_seconds() // 3600)
    last = int((window.end - STARTS).total_seconds() // 3600)
    return sum(truth[first:last])


@pytest.fixture(scope="module")
def demo_reports(demo_db):
    with Store.open(demo_db, readonly=True) as store:
        found = {}
        for campaign in store.campaigns():
            for subject in store.reports.subjects(campaign.id):
                if subject.starts < DEMO_UNTIL:
                    found[(campaign.slug, subject.title, subject.kind)] = store.reports.report(subject, DEMO_UNTIL)
        campaigns = [store.reports.campaign_report(c.id, DEMO_UNTIL) for c in store.campaigns()]
    return found, campaigns


def test_each_demo_burst_is_found_where_the_demo_put_it(demo_reports):
    found, _ = demo_reports
    truth = expected_hourly(6000, STARTS, DEMO_UNTIL)
    moments = {m.title: m for demo in demo_campaigns(STARTS, DEMO_UNTIL) for m in demo.moments if m.kind != "opposing"}
    checked = 0
    for (slug, title, _), report in found.items():
        moment = moments.get(title.removeprefix("Come to: "))
        assert moment is not None, f"{title}: a demo call to action or event without a burst behind it"
        mentions = report.comparison("mentions", "ours")
        baseline = [report.windows[name].shown for name in ("before", "week_before") if report.windows[name].has_data]
        expected_baseline = sum(expected_in(truth[slug]["ours"], w) for w in baseline)
        expected_during = expected_in(truth[slug]["ours"], report.windows["during"].shown)
        # What the demo generated: the uplift it expects with the report's own windows...
        true_uplift = (expected_during / mentions.during_hours) / (expected_baseline / mentions.baseline_hours) - 1
        assert true_uplift > 2, f"{title}: the demo made a burst of {moment.lift}x"
        # ...which the report's counts cannot tell from the truth (the share of the posts that fell in
        # the during window is within its 99.9% interval of what the demo expects), and it is credited.
        share = stats.binomtest(mentions.during_count, mentions.during_count + mentions.baseline_count)
        interval = share.proportion_ci(0.999)
        assert interval.low <= expected_during / (expected_during + expected_baseline) <= interval.high, title
        assert mentions.change > 1 and mentions.p_value < 0.01
        assert mentions.verdict == "credited", mentions.statement
        assert report.data_note.startswith("Demo data") and report.caveats == []
        checked += 1
    # Three calls to action and an event (with its call to attend) in antisocial, two and an event
    # in save-our-libraries, one in councillor-watch.
    assert checked == 10


def test_no_report_of_the_demo_quotes_abuse(demo_reports):
    found, campaigns = demo_reports
    phrases = [text.replace("{handle} ", "") for text in ABUSIVE_TEXTS]
    files = [report_files.render(r, fmt) for r in found.values() for fmt in report_files.FORMATS]
    files += [report_files.render_campaign(c, fmt) for c in campaigns for fmt in report_files.FORMATS]
    for text in files:
        assert not [p for p in phrases if p in text]
    # The abuse aimed at the protected accounts is there, as counts.
    counted = [r.protected_abuse["during"] for (slug, _, _), r in found.items() if slug == "antisocial"]
    assert sum(counted) > 0

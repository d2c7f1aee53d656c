"""Report files: hostile post text escaped in HTML and Markdown, no abusive text anywhere, the Markdown
against a reviewed golden file, the CSV's series, and the campaign to date."""

from __future__ import annotations

import csv
import io
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from report_builders import add_action, add_posts, make_campaign, utc

from campaigns import clock, planner, report_files, reports
from campaigns.model import Mention
from campaigns.store import Store

GOLDEN = Path(__file__).resolve().parent / "golden" / "report_action.md"
NOW = utc(2026, 3, 10, 9)
HOSTILE = ('<script>alert("owned")</script> **bold** [click](javascript:alert(1)) | pipe & '
           '<img src=x onerror=alert(2)> `code` #Ours')
ABUSIVE = "you pathetic idiot, nobody wants you #Ours"
AT_PROTECTED = "@protected_one you stupid clown"
OPPOSING_AT_PROTECTED = "@protected_one is a disgraceful fraud #Theirs"


def build_golden(path: Path) -> None:
    """A small campaign in London time: 4 posts an hour of ours and 1 of theirs for five weeks, 12 an
    hour during a two-hour action, one hostile post and two abusive ones during it."""
    with clock.pinned(utc(2026, 3, 9)), Store.open(path) as store:
        campaign = make_campaign(store, "golden", tz="Europe/London", starts="2026-02-01")
        start, end = utc(2026, 3, 5, 17), utc(2026, 3, 5, 19)
        add_posts(store, campaign, utc(2026, 2, 1), utc(2026, 3, 8), lambda h: 12 if start <= h < end else 4,
                  authors=30)
        add_posts(store, campaign, utc(2026, 2, 1), utc(2026, 3, 8), 1, side="opposing", prefix="o",
                  sentiment=-0.4, authors=8)
        store.upsert_mentions([
            Mention(platform="bluesky", native_id="hostile", created_at="2026-03-05T17:30:00Z", text=HOSTILE,
                    url="javascript:alert(3)", author_key="mallory<b>", author_followers=9000, likes=500,
                    sentiment=0.1, abuse=0.1),
            Mention(platform="bluesky", native_id="abusive", created_at="2026-03-05T17:40:00Z", text=ABUSIVE,
                    url="https://example.org/abusive", author_key="troll", author_followers=50, likes=900,
                    sentiment=-0.8, abuse=0.93),
            Mention(platform="bluesky", native_id="unscored", created_at="2026-03-05T17:45:00Z",
                    text="not scored yet #Ours", author_key="someone", likes=800),
            Mention(platform="bluesky", native_id="at-protected", created_at="2026-03-05T18:10:00Z",
                    text=AT_PROTECTED, author_key="troll", likes=3, sentiment=-0.7, abuse=0.97),
            # Aimed at the protected account from the other side: counted, whatever side it took.
            Mention(platform="bluesky", native_id="opposing-at-protected", created_at="2026-03-05T18:20:00Z",
                    text=OPPOSING_AT_PROTECTED, author_key="troll", likes=2, sentiment=-0.8, abuse=0.9),
            # The protected account's own salty post is not abuse aimed at it.
            Mention(platform="bluesky", native_id="own-post", created_at="2026-03-05T18:25:00Z",
                    text="Damn, what a long day #Ours", author_key="protected_one", likes=1, sentiment=0.0,
                    abuse=0.8),
        ], campaign_ids=[campaign.id])
        action = add_action(store, campaign, "Thank the stewards #Ours & <b>friends</b>", start, end,
                            message="Thank you, stewards", variants=["Post 2 about the campaign"], goal_count=20)
        people = [store.plan.save_volunteer(planner.Volunteer(name)) for name in ("Ana", "Ben")]
        first = store.plan.assign(people[0].id, action_id=action.id, status="accepted")
        store.plan.assign(people[1].id, action_id=action.id, status="invited")
        store.plan.set_assignment_status(first.id, "done", at="2026-03-05T17:20:00Z")
        demand = store.plan.save_demand(planner.Demand(campaign.id, "Fund the stewards | all year", "Board"),
                                     raised_at="2026-02-02T10:00:00Z")
        store.plan.add_demand_update(demand.id, status="acknowledged", note="Board **will** reply <soon>",
                                  at="2026-03-05T18:30:00Z")
        store.reports.save_notes(store.reports.find("action:1"), reports.Notes(
            planned="20 thank-you posts", happened="More than planned <script>x()</script>",
            why_different="The stewards shared it", keep="Evening slot", change="Start earlier"))


@pytest.fixture(scope="module")
def golden_report(tmp_path_factory) -> reports.Report:
    path = tmp_path_factory.mktemp("golden") / "golden.db"
    build_golden(path)
    with clock.pinned(NOW), Store.open(path) as store:
        return store.reports.report(store.reports.find("action:1"), NOW)


def test_the_markdown_report_is_the_reviewed_golden_file(golden_report):
    text = report_files.markdown(golden_report)
    if os.environ.get("GROUNDSWELL_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


class Collector(HTMLParser):
    """The tags, attributes and text of an HTML document, as a browser's parser sees them."""

    def __init__(self):
        super().__init__()
        self.tags, self.attributes, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += attrs

    def handle_data(self, data):
        self.text.append(data)


def test_hostile_post_text_is_escaped_in_html_and_markdown(golden_report):
    page = report_files.html_report(golden_report)
    parsed = Collector()
    parsed.feed(page)
    assert "script" not in parsed.tags and "img" not in parsed.tags and "b" not in parsed.tags
    assert not any(name.startswith("on") for name, _ in parsed.attributes)
    assert not any(value and "javascript:" in value for _, value in parsed.attributes)
    text = "".join(parsed.text)
    assert HOSTILE in text  # shown as the words it is
    assert "Thank the stewards #Ours & <b>friends</b>" in text and "mallory<b>" in text
    assert "More than planned <script>x()</script>" in text
    # The file itself forbids scripts and fetches, whatever slipped through.
    assert "default-src 'none'" in page
    markdown = report_files.markdown(golden_report)
    row = next(line for line in markdown.splitlines() if "alert" in line)
    assert "\\<script\\>" in row and "\\*\\*bold\\*\\*" in row and "\\[click\\]" in row and "\\| pipe \\&" in row
    assert "javascript:" not in row.split("|")[-2]  # the link column holds no link for it
    assert not re.search(r"(?<!\\)<(script|img|b)\b", markdown)  # every < of outside text is escaped


def test_no_abusive_text_reaches_any_report(golden_report):
    for fmt in report_files.FORMATS:
        text = report_files.render(golden_report, fmt)
        for quoted in ("pathetic idiot", "stupid clown", "disgraceful fraud", "long day", "not scored yet"):
            assert quoted not in text
    # The abuse aimed at the protected account is counted, never quoted; its own post is not counted.
    assert golden_report.protected_abuse["during"] == 2
    assert "| Offensive-language mentions aimed at protected accounts (count only) | 0 | 0 | 2 | 0 |" in \
        report_files.markdown(golden_report)


def test_the_csv_holds_the_hourly_series(golden_report):
    rows = list(csv.DictReader(io.StringIO(report_files.csv_report(golden_report))))
    assert list(rows[0]) == ["hour", "window", "side", "mentions", "originals", "reposts", "engagement", "positive",
                             "negative", "neutral", "expected_mentions"]
    during = [r for r in rows if r["window"] == "during" and r["side"] == "ours"]
    assert [r["hour"] for r in during] == ["2026-03-05T17:00:00Z", "2026-03-05T18:00:00Z"]
    # 12 an hour, plus the hostile, the abusive and the unscored post in the first hour and the
    # protected account's own in the second: the series counts every post, it just never quotes one.
    assert [int(r["mentions"]) for r in during] == [15, 13]
    assert all(float(r["expected_mentions"]) == 4 for r in during)
    assert {r["window"] for r in rows} == {"before", "during", "after"}


def test_the_html_report_is_one_file_that_prints_on_a4_and_letter(golden_report):
    page = report_files.html_report(golden_report)
    assert page.startswith("<!doctype html>")
    assert not re.search(r"<(script|link|iframe)\b", page) and 'src="http' not in page
    assert page.count('<svg class="chart"') == 2
    assert "@page" in page and "break-inside: avoid" in page
    assert "max-width: 178mm" in page  # narrower than A4's and Letter's printable width


def test_the_campaign_to_date_in_every_format(tmp_path):
    path = tmp_path / "golden.db"
    build_golden(path)
    with Store.open(path) as store:
        campaign = store.campaign("golden")
        report = store.reports.campaign_report(campaign.id, NOW)
    assert [r.subject.key for r in report.reports] == ["action:1"]
    rows = report.rows()
    assert rows.loc[0, "verdict"] == "credited" and rows.loc[0, "uplift"] == pytest.approx(report.reports[0].comparison(
        "mentions").change)
    markdown = report_files.render_campaign(report, "md")
    assert "Fund the stewards \\| all year" in markdown and "acknowledged" in markdown
    assert "Board \\*\\*will\\*\\* reply \\<soon\\>" in markdown
    assert "Our mentions since the campaign started:" in markdown
    table = list(csv.DictReader(io.StringIO(report_files.render_campaign(report, "csv"))))
    assert table[0]["title"] == "Thank the stewards #Ours & <b>friends</b>" and table[0]["verdict"] == "credited"
    page = report_files.render_campaign(report, "html")
    assert "<b>friends</b>" not in page and "&lt;b&gt;friends&lt;/b&gt;" in page


def test_the_readme_says_what_uplift_means_as_the_reports_do():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert reports.UPLIFT_DEFINITION in readme
    assert "groundswell report action:3 --format html" in readme

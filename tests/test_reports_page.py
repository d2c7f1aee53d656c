"""The Reports page under AppTest: which reports are ready, a report shown, notes saved and shown again, plain post text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from conftest import DEMO_UNTIL
from streamlit.testing.v1 import AppTest
from test_report_files import HOSTILE, build_golden

from campaigns.store import Store

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")


@pytest.fixture(autouse=True)
def fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def reports_page() -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    at.switch_page("app_pages/reports.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def table_with(at: AppTest, column: str):
    return [d.value for d in at.dataframe if column in d.value.columns]


def test_the_page_lists_ready_reports_and_saves_notes_that_show_again(demo_copy, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_NOW", DEMO_UNTIL.strftime("%Y-%m-%dT%H:%M:%SZ"))
    at = reports_page()
    status = table_with(at, "ready from")[0]
    assert set(status["report"]) == {"ready", "not started"}
    assert (status[status["report"] == "ready"]["notes"] == "missing").all()
    assert any("report(s) ready" in c.value and "still without notes" in c.value for c in at.caption)
    subject = at.selectbox(key="reports_subject")
    key = subject.value
    assert key == "action:1"  # the first ready report that lacks notes
    assert any(h.value.startswith("Report: Launch: post why abuse is not free speech") for h in at.subheader)
    comparisons = table_with(at, "verdict")[0]
    assert comparisons.iloc[0]["figure"] == "Mentions an hour" and comparisons.iloc[0]["verdict"] == "credited"
    assert len(at.get("image")) == 2  # the two charts
    assert [b.label for b in at.get("download_button")] == ["Download HTML", "Download Markdown", "Download CSV"]

    answers = {"planned": "Flood the feed at launch", "happened": "Eight times the usual rate",
               "why_different": "The officers shared it early", "keep": "Morning start", "change": "More variants"}
    for name, answer in answers.items():
        at.text_area(key=f"reports_note_{name}_{key}").input(answer)
    next(b for b in at.button if b.label == "Save notes").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert any("Notes saved for 'Launch: post why abuse is not free speech'" in s.value for s in at.success)
    with Store.open(demo_copy, readonly=True) as store:
        saved = store.reports.notes(store.reports.find(key))
    assert saved.planned == answers["planned"] and saved.change == answers["change"]

    # A fresh session shows them again, and the list no longer says they are missing.
    st.cache_data.clear()
    again = reports_page()
    again.selectbox(key="reports_subject").set_value(key).run()
    assert {name: again.text_area(key=f"reports_note_{name}_{key}").value for name in answers} == answers
    status = table_with(again, "ready from")[0]
    assert status.set_index("title").loc["Launch: post why abuse is not free speech", "notes"] == "saved"


def test_post_text_is_plain_text_on_the_page(db_path, monkeypatch):
    build_golden(db_path)
    monkeypatch.setenv("GROUNDSWELL_NOW", "2026-03-10T09:00:00Z")
    at = reports_page()
    posts = [frame for frame in table_with(at, "text") if HOSTILE in set(frame["text"])]
    assert posts, "the hostile post is shown, as the text it is"
    assert pd.isna(posts[0].set_index("text").loc[HOSTILE, "link"])  # its javascript: link is not linked
    for element in (*at.markdown, *at.caption, *at.subheader):
        assert "<script>" not in element.value and "<b>" not in element.value
    assert not any("pathetic idiot" in str(frame.values) for frame in table_with(at, "text"))


def test_the_campaign_to_date_view(demo_copy, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_NOW", DEMO_UNTIL.strftime("%Y-%m-%dT%H:%M:%SZ"))
    at = reports_page()
    at.radio(key="reports_scope").set_value("the campaign to date").run()
    assert not at.exception, [e.message for e in at.exception]
    rows = table_with(at, "goal / done")[0]
    assert len(rows) == 5 and set(rows["verdict"]) == {"credited"}
    assert any(s.value == "Campaign to date: \\#AntiSocialMedia" for s in at.subheader)
    assert len(table_with(at, "decision maker")[0]) == 2


def log_in(name: str) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    at.text_input(key="login_name").set_value(name)
    at.text_input(key="login_password").set_value("a long enough password")
    next(b for b in at.button if b.label == "Log in").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_reports_are_an_organisers_and_never_a_volunteers(demo_copy, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_NOW", DEMO_UNTIL.strftime("%Y-%m-%dT%H:%M:%SZ"))
    with Store.open(demo_copy) as store:
        volunteer = int(store.plan.volunteers().iloc[0]["id"])
        store.add_user("vol", "volunteer", "a long enough password", volunteer_id=volunteer)
        store.add_user("org", "organiser", "a long enough password")
    organiser = log_in("org")
    organiser.switch_page("app_pages/reports.py").run()
    assert not organiser.exception and table_with(organiser, "ready from")
    # Reports quote collected posts: a volunteer's session does not even have the page.
    volunteer_session = log_in("vol")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        volunteer_session.switch_page("app_pages/reports.py")

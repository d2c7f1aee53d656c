"""The Planner page under AppTest: forms save and validate, markers reach Traction, a volunteer sees only theirs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from campaigns import planner
from campaigns.store import Store

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")
TZ = ZoneInfo("Europe/London")  # the demo campaigns' zone


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test opens its own database; cached connections and reads must not cross over."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def planner_page(preset: str = "Campaign to date") -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    at.selectbox(key="range_preset").set_value(preset).run()
    at.switch_page("app_pages/planner.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def fill_action(at: AppTest, title: str, start: datetime, end: datetime, *, zone: str = "Europe/London") -> AppTest:
    key = "planner_action_new"
    at.text_input(key=f"{key}_timezone").input(zone)
    at.selectbox(key=f"{key}_status").set_value("scheduled")
    at.text_input(key=f"{key}_title").input(title)
    at.text_area(key=f"{key}_message").input("Thank the officers who keep showing up")
    at.text_area(key=f"{key}_variants").input("Our officers are brilliant\nBe kind to your reps")
    at.text_input(key=f"{key}_hashtags").input("#LoveSUs")
    at.date_input(key=f"{key}_start_date").set_value(start.date())
    at.time_input(key=f"{key}_start_time").set_value(start.time())
    at.date_input(key=f"{key}_end_date").set_value(end.date())
    at.time_input(key=f"{key}_end_time").set_value(end.time())
    at.number_input(key=f"{key}_goal").set_value(50)
    at.button(key=f"{key}_submit").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def shapes(at: AppTest, key: str) -> list[dict]:
    element = next(e for e in at.get("plotly_chart") if f"chart_{key}" in e.proto.id)
    return json.loads(element.proto.spec)["layout"].get("shapes", [])


def test_a_call_to_action_made_in_the_form_is_stored_and_marked_on_traction(demo_copy):
    start = (datetime.now(TZ) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    at = fill_action(planner_page(), "Thank-you wave for officers", start, start + timedelta(hours=5))
    assert any("Saved call to action" in s.value for s in at.success)
    with Store.open(demo_copy) as store:
        row = store.db.conn.execute("SELECT id, window_start, hashtags, status FROM actions WHERE title = ?",
                                    ["Thank-you wave for officers"]).fetchone()
        assert row is not None
        assert row[1] == start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert json.loads(row[2]) == ["LoveSUs"] and row[3] == "done"  # scheduled, and its window has passed
        assert planner.get_action(store, row[0]).variants == ["Our officers are brilliant", "Be kind to your reps"]

    at.switch_page("app_pages/traction.py").run()
    assert not at.exception, [e.message for e in at.exception]
    for chart in ("mentions", "voice", "engagement"):
        names = [s.get("name") for s in shapes(at, chart)]
        assert "action: Thank-you wave for officers" in names
        assert any(name.startswith("event: ") for name in names)  # the demo's own events are there too


@pytest.mark.parametrize(("zone", "hours", "message"), [
    ("Europe/London", -2, "ends before it starts"),
    ("Europe/Narnia", 2, "unknown time zone 'Europe/Narnia'"),
])
def test_action_form_errors_are_clear_and_change_nothing(demo_copy, zone, hours, message):
    with Store.open(demo_copy) as store:
        before = store.count("actions")
    start = datetime(2030, 5, 1, 12, 0)
    at = fill_action(planner_page(), "Refused", start, start + timedelta(hours=hours), zone=zone)
    assert [e.value for e in at.error] and message in at.error[0].value
    assert not at.success
    with Store.open(demo_copy) as store:
        assert store.count("actions") == before


def test_event_form_refuses_a_negative_capacity_and_saves_a_good_event(demo_copy):
    at = planner_page()
    key = "planner_event_new"
    at.text_input(key=f"{key}_title").input("Banner-making evening")
    at.date_input(key=f"{key}_start_date").set_value(datetime(2030, 3, 1).date())
    at.time_input(key=f"{key}_start_time").set_value(time(18, 0))
    at.date_input(key=f"{key}_end_date").set_value(datetime(2030, 3, 1).date())
    at.time_input(key=f"{key}_end_time").set_value(time(21, 0))
    at.number_input(key=f"{key}_capacity").set_value(-5)
    at.text_area(key=f"{key}_needs").input("bring paint: 10\nold sheets: 6/2")
    at.button(key=f"{key}_submit").click().run()
    assert "capacity cannot be negative (-5)" in at.error[0].value
    with Store.open(demo_copy) as store:
        assert store.db.conn.execute("SELECT count(*) FROM events WHERE title = 'Banner-making evening'"
                                     ).fetchone()[0] == 0
    at.number_input(key=f"{key}_capacity").set_value(25)
    at.button(key=f"{key}_submit").click().run()
    assert not at.error and any("Saved event" in s.value for s in at.success)
    with Store.open(demo_copy) as store:
        event_id, starts_at = store.db.conn.execute(
            "SELECT id, starts_at FROM events WHERE title = 'Banner-making evening'").fetchone()
        assert starts_at == "2030-03-01T18:00:00Z"
        needs = planner.get_event(store, event_id).needs
        assert [(n.item, n.quantity, n.pledged) for n in needs] == [("bring paint", 10, 0), ("old sheets", 6, 2)]


def test_editing_an_action_in_the_form(demo_copy):
    with Store.open(demo_copy) as store:
        action_id = store.db.conn.execute("SELECT min(id) FROM actions").fetchone()[0]
    at = planner_page()
    at.selectbox(key="planner_action_pick").set_value(action_id).run()
    key = f"planner_action_{action_id}"
    assert at.text_input(key=f"{key}_title").value.startswith("Launch")
    at.text_input(key=f"{key}_title").input("Launch: why abuse is not free speech")
    at.button(key=f"{key}_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    with Store.open(demo_copy) as store:
        assert planner.get_action(store, action_id).title == "Launch: why abuse is not free speech"


def test_a_volunteer_view_shows_only_that_volunteers_items(demo_copy):
    with Store.open(demo_copy) as store:
        campaign = store.campaign("antisocial")
        priya = planner.find_volunteer(store, "Priya S.")
        tom = planner.find_volunteer(store, "Tom R.")
        only_tom = planner.save_action(store, planner.Action(
            campaign.id, "call", "Phone the Dean's office", "2030-01-10T10:00", "2030-01-10T12:00",
            "Europe/London", message="Ask for the abuse policy", status="scheduled"))
        planner.assign(store, tom.id, action_id=only_tom.id)
        priya_titles = {item["title"] for item in planner.volunteer_agenda(store, priya.id)
                        if (item.get("action") or item.get("event")).campaign_id == campaign.id}
        priya_messages = {item["message"] for item in planner.volunteer_agenda(store, priya.id) if item["message"]}
    at = planner_page()
    at.selectbox(key="planner_volunteer_view").set_value(priya.id).run()
    assert not at.exception
    shown = {m.value.split("**")[1] for m in at.markdown if m.value.startswith("**")}
    assert priya_titles and priya_titles <= shown
    assert "Phone the Dean's office" not in shown
    codes = [c.value for c in at.code]
    assert all(any(message in code for code in codes) for message in priya_messages)
    assert any("#AntiSocialMedia" in code for code in codes)

    at.selectbox(key="planner_volunteer_view").set_value(tom.id).run()
    shown = {m.value.split("**")[1] for m in at.markdown if m.value.startswith("**")}
    assert "Phone the Dean's office" in shown
    assert "Ask for the abuse policy" in [c.value for c in at.code]

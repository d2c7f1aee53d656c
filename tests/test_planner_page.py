"""The Plan pages under AppTest: forms save and validate, markers reach Traction, a volunteer sees only theirs,
reads never write, and what a person typed is shown as text."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from campaigns import clock, planner
from campaigns.model import iso_utc
from campaigns.store import Store
from tests.conftest import DEMO_UNTIL

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")
TZ = ZoneInfo("Europe/London")  # the demo campaigns' zone
PLAN_PAGES = ("calendar", "actions", "events", "volunteers", "volunteer_view", "demands", "narratives")
IMAGE_TITLE = "![p](http://host/p.png)"
LINK_NAME = "[Sam](http://host/s.png)"


@pytest.fixture(autouse=True)
def fresh_caches():
    """Each test opens its own database; cached connections and reads must not cross over."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


@pytest.fixture(autouse=True)
def demo_clock(monkeypatch):
    """The app's clock at the end of the demo period (the tests' fixture data), whatever today is."""
    monkeypatch.setenv("GROUNDSWELL_NOW", iso_utc(DEMO_UNTIL))
    return DEMO_UNTIL


def plan_page(name: str, preset: str = "Campaign to date", at: AppTest | None = None) -> AppTest:
    if at is None:
        at = AppTest.from_file(ENTRY, default_timeout=60)
        at.run()
        at.selectbox(key="range_preset").set_value(preset).run()
    at.switch_page(f"app_pages/planner_{name}.py").run()
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


def titled(store: Store, kind: str, title: str):
    """The call to action or event with this title in any campaign, read through the plan's verbs."""
    for campaign in store.campaigns():
        frame = getattr(store.plan, kind)(campaign.id)
        found = frame[frame["title"] == title]
        if len(found):
            row_id = int(found["id"].item())
            return store.plan.get_action(row_id) if kind == "actions" else store.plan.get_event(row_id)
    return None


def shapes(at: AppTest, key: str) -> list[dict]:
    element = next(e for e in at.get("plotly_chart") if f"chart_{key}" in e.proto.id)
    return json.loads(element.proto.spec)["layout"].get("shapes", [])


def database_bytes(path: Path) -> tuple[bytes, bytes]:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes(), wal.read_bytes() if wal.exists() else b""


def rendered_as_markdown(at: AppTest) -> list[str]:
    """Every string the browser renders as Markdown: markdown, captions, alerts, headings, widget labels."""
    found = []
    for block in (at.main, at.sidebar):
        for node in block:
            proto = getattr(node, "proto", None)
            if node.type in ("markdown", "caption", "latex", "title", "header", "subheader", "success", "info",
                             "warning", "error"):
                found.append(str(node.value))
            elif proto is not None and isinstance(getattr(proto, "label", None), str):
                found.append(proto.label)
    return found


def test_a_call_to_action_made_in_the_form_is_stored_and_marked_on_traction(demo_copy, demo_clock):
    start = (demo_clock.astimezone(TZ) - timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    at = fill_action(plan_page("actions"), "Thank-you wave for officers", start, start + timedelta(hours=5))
    assert any("Saved call to action" in s.value for s in at.success)
    with clock.pinned(demo_clock), Store.open(demo_copy) as store:
        action = titled(store, "actions", "Thank-you wave for officers")
        assert action is not None
        assert action.window_start == iso_utc(start)
        assert action.hashtags == ["LoveSUs"] and action.status == "done"  # scheduled, and its window has passed
        assert action.variants == ["Our officers are brilliant", "Be kind to your reps"]

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
def test_action_form_errors_are_clear_and_change_nothing(demo_copy, demo_clock, zone, hours, message):
    with Store.open(demo_copy) as store:
        before = store.count("actions")
    start = (demo_clock + timedelta(days=30)).replace(tzinfo=None, minute=0)
    at = fill_action(plan_page("actions"), "Refused", start, start + timedelta(hours=hours), zone=zone)
    assert [e.value for e in at.error] and message in at.error[0].value
    assert not at.success
    with Store.open(demo_copy) as store:
        assert store.count("actions") == before


def test_event_form_refuses_a_negative_capacity_and_saves_a_good_event(demo_copy, demo_clock):
    day = (demo_clock + timedelta(days=100)).date()
    at = plan_page("events")
    key = "planner_event_new"
    at.text_input(key=f"{key}_title").input("Banner-making evening")
    at.date_input(key=f"{key}_start_date").set_value(day)
    at.time_input(key=f"{key}_start_time").set_value(time(18, 0))
    at.date_input(key=f"{key}_end_date").set_value(day)
    at.time_input(key=f"{key}_end_time").set_value(time(21, 0))
    at.number_input(key=f"{key}_capacity").set_value(-5)
    at.text_area(key=f"{key}_needs").input("bring paint: 10\nold sheets: 6/2")
    at.button(key=f"{key}_submit").click().run()
    assert "capacity cannot be negative (-5)" in at.error[0].value
    with Store.open(demo_copy) as store:
        assert titled(store, "events", "Banner-making evening") is None
    at.number_input(key=f"{key}_capacity").set_value(25)
    at.button(key=f"{key}_submit").click().run()
    assert not at.error and any("Saved event" in s.value for s in at.success)
    with Store.open(demo_copy) as store:
        event = titled(store, "events", "Banner-making evening")
        assert event.starts_at == iso_utc(datetime.combine(day, time(18, 0), TZ))
        assert event.capacity == 25 and event.status == "scheduled"
        assert [(n.item, n.quantity, n.pledged) for n in event.needs] == [("bring paint", 10, 0), ("old sheets", 6, 2)]


def test_editing_an_action_in_the_form(demo_copy):
    with Store.open(demo_copy) as store:
        action_id = int(store.plan.actions(store.campaigns()[0].id)["id"].min())
    at = plan_page("actions")
    at.selectbox(key="planner_action_pick").set_value(action_id).run()
    key = f"planner_action_{action_id}"
    assert at.text_input(key=f"{key}_title").value.startswith("Launch")
    at.text_input(key=f"{key}_title").input("Launch: why abuse is not free speech")
    at.button(key=f"{key}_submit").click().run()
    assert not at.error, [e.value for e in at.error]
    with Store.open(demo_copy) as store:
        assert store.plan.get_action(action_id).title == "Launch: why abuse is not free speech"


def agenda_titles(at: AppTest) -> set[str]:
    return {t.value.split(" · ")[0] for t in at.text}


def test_a_volunteer_view_shows_only_that_volunteers_items(demo_copy, demo_clock):
    with clock.pinned(demo_clock), Store.open(demo_copy) as store:
        campaign = store.campaign("antisocial")
        priya = store.plan.find_volunteer("Priya S.")
        tom = store.plan.find_volunteer("Tom R.")
        later = demo_clock.astimezone(TZ) + timedelta(days=40)
        only_tom = store.plan.save_action(planner.Action(
            campaign.id, "call", "Phone the Dean's office", later.replace(hour=10, tzinfo=None),
            later.replace(hour=12, tzinfo=None), "Europe/London", message="Ask for the abuse policy",
            status="scheduled"))
        store.plan.assign(tom.id, action_id=only_tom.id)
        agenda = store.plan.volunteer_agenda(priya.id)
        priya_titles = {item["title"] for item in agenda
                        if (item.get("action") or item.get("event")).campaign_id == campaign.id}
        priya_messages = {item["message"] for item in agenda if item["message"]}
    at = plan_page("volunteer_view")
    at.selectbox(key="planner_volunteer_view").set_value(priya.id).run()
    assert not at.exception
    shown = agenda_titles(at)
    assert priya_titles and priya_titles <= shown
    assert "Phone the Dean's office" not in shown
    codes = [c.value for c in at.code]
    assert all(any(message in code for code in codes) for message in priya_messages)
    assert any("#AntiSocialMedia" in code for code in codes)

    at.selectbox(key="planner_volunteer_view").set_value(tom.id).run()
    assert "Phone the Dean's office" in agenda_titles(at)
    assert "Ask for the abuse policy" in [c.value for c in at.code]


def test_what_a_person_typed_is_shown_as_text_never_as_markdown(demo_copy, demo_clock):
    at = fill_action(plan_page("actions"), IMAGE_TITLE, demo_clock.replace(tzinfo=None) + timedelta(days=2),
                     demo_clock.replace(tzinfo=None) + timedelta(days=2, hours=4))
    assert any("Saved call to action" in s.value for s in at.success)
    assert not [text for text in rendered_as_markdown(at) if IMAGE_TITLE in text]
    at.run()
    assert IMAGE_TITLE in set(at.dataframe[0].value["title"])  # a table shows it as typed
    with clock.pinned(demo_clock), Store.open(demo_copy) as store:
        action = titled(store, "actions", IMAGE_TITLE)
        priya = store.plan.find_volunteer("Priya S.")
        store.plan.assign(priya.id, action_id=action.id, role=IMAGE_TITLE)
        sam = store.plan.save_volunteer(planner.Volunteer(LINK_NAME, timezone="Europe/London"))
        store.plan.assign(sam.id, action_id=action.id)

    for name in PLAN_PAGES:
        at = plan_page(name, at=at)
        if name == "volunteer_view":
            at.selectbox(key="planner_volunteer_view").set_value(priya.id).run()
            assert f"{IMAGE_TITLE} · {IMAGE_TITLE}" in [t.value for t in at.text]  # the title and the role, as typed
        leaked = [text for text in rendered_as_markdown(at) if IMAGE_TITLE in text or LINK_NAME in text]
        assert not leaked, (name, leaked)
    at = plan_page("volunteer_view", at=at)
    at.selectbox(key="planner_volunteer_view").set_value(sam.id).run()
    assert not at.exception and IMAGE_TITLE in agenda_titles(at)
    leaked = [text for text in rendered_as_markdown(at) if IMAGE_TITLE in text or LINK_NAME in text]
    assert not leaked, leaked
    assert any("Sam" in text for text in rendered_as_markdown(at))  # named, escaped


def test_rendering_every_plan_page_writes_nothing(demo_copy):
    # Three days and a bit after the demo's end its last call to action is live, though stored as
    # scheduled: the pages show it live and leave the database as it was.
    during = DEMO_UNTIL + timedelta(days=3, hours=1)
    with clock.pinned(during), Store.open(demo_copy) as store:
        store.checkpoint()
        upcoming = titled(store, "actions", "Next push: thank the people who stood with us")
        assert upcoming.status == "live"
    with Store.open(demo_copy) as store:
        assert titled(store, "actions", "Next push: thank the people who stood with us").status == "scheduled"
    before = database_bytes(demo_copy)
    at = None
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GROUNDSWELL_NOW", iso_utc(during))
        for name in PLAN_PAGES:
            at = plan_page(name, at=at)
            if name == "actions":
                table = at.dataframe[0].value
                assert table.loc[table["title"].str.startswith("Next push"), "status"].tolist() == ["live"]
            assert database_bytes(demo_copy) == before, f"the {name} page wrote to the database"
        at.switch_page("app_pages/traction.py").run()
        assert database_bytes(demo_copy) == before, "the traction page wrote to the database"

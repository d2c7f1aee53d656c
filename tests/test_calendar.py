"""The iCalendar feed parsed back with icalendar: entries, times with zones, alarms, one volunteer's own feed."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from campaigns import calendar_feed, clock, planner
from campaigns.model import Campaign

NOW = datetime(2030, 1, 15, 9, 30, tzinfo=UTC)  # before everything planned below, whatever today is


@pytest.fixture(autouse=True)
def mid_january():
    with clock.pinned(NOW) as moment:
        yield moment


def campaign_feed(store, campaign) -> Calendar:
    return calendar_feed.campaign_calendar(store.plan.calendar_entries([campaign.id]), name=campaign.name)


def volunteer_feed(store, volunteer) -> Calendar:
    return calendar_feed.volunteer_calendar(volunteer, store.plan.volunteer_agenda(volunteer.id))


@pytest.fixture
def plan(store):
    campaign = store.save_campaign(Campaign(slug="libraries", name="Save Our Libraries", starts_at="2030-01-01",
                                            timezone="Europe/London"))
    event = store.plan.save_event(planner.Event(
        campaign.id, "Read-in at the central library", "2030-06-01T11:00", "2030-06-01T15:00",
        timezone="Europe/London", location="Central Library, Riverside", capacity=200, status="scheduled",
        needs=[planner.Need("bring water", 50, 20)]))
    email = store.plan.save_action(planner.Action(
        campaign.id, "email", "Email your councillor", "2030-05-20T09:00", "2030-05-20T21:00",
        timezone="Europe/London", message="Please keep our libraries open", status="scheduled"))
    post = store.plan.save_action(planner.Action(
        campaign.id, "post", "Share the petition", "2030-05-25T12:00", "2030-05-25T14:00",
        timezone="Europe/London", message="Sign the petition", hashtags=["SaveOurLibraries"],
        link="https://example.org/petition", status="scheduled"))
    draft = store.plan.save_action(planner.Action(
        campaign.id, "call", "Phone bank (not agreed yet)", "2030-05-26T12:00", "2030-05-26T14:00"))
    asha = store.plan.save_volunteer(planner.Volunteer("Asha", timezone="America/New_York"))
    tom = store.plan.save_volunteer(planner.Volunteer("Tom", timezone="Europe/London"))
    store.plan.assign(asha.id, action_id=post.id)
    store.plan.assign(asha.id, event_id=event.id, role="stall", status="accepted")
    store.plan.assign(tom.id, action_id=email.id)
    declined = store.plan.assign(tom.id, action_id=post.id)
    store.plan.set_assignment_status(declined.id, "declined")
    return store, campaign, {"event": event, "email": email, "post": post, "draft": draft, "asha": asha, "tom": tom}


def parse(path) -> Calendar:
    return Calendar.from_ical(path.read_bytes())


def test_the_campaign_feed_holds_actions_and_events_with_zones_and_alarms(plan, tmp_path):
    store, campaign, items = plan
    path = tmp_path / "plan.ics"
    count = calendar_feed.write_ics(campaign_feed(store, campaign), path)
    calendar = parse(path)
    assert count == 3  # the draft is left out
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"] == calendar_feed.PRODID
    assert str(calendar["X-WR-CALNAME"]) == "Save Our Libraries"
    entries = {str(e["SUMMARY"]): e for e in calendar.walk("VEVENT")}
    assert set(entries) == {"Read-in at the central library", "Email your councillor", "Share the petition"}
    read_in = entries["Read-in at the central library"]
    start = read_in.decoded("DTSTART")
    assert start == datetime(2030, 6, 1, 11, tzinfo=ZoneInfo("Europe/London"))
    assert start.tzinfo.key == "Europe/London" and read_in["DTSTART"].params["TZID"] == "Europe/London"
    assert read_in.decoded("DTEND") - start == timedelta(hours=4)
    assert str(read_in["LOCATION"]) == "Central Library, Riverside"
    assert "bring water: 20 of 50 pledged" in str(read_in["DESCRIPTION"])
    assert sorted(a.decoded("TRIGGER") for a in read_in.walk("VALARM")) == [timedelta(days=-1), timedelta(hours=-1)]
    assert all(str(a["ACTION"]) == "DISPLAY" for a in read_in.walk("VALARM"))
    petition = entries["Share the petition"]
    assert [a.decoded("TRIGGER") for a in petition.walk("VALARM")] == [timedelta(minutes=-30)]
    assert "Sign the petition #SaveOurLibraries https://example.org/petition" in str(petition["DESCRIPTION"])
    assert str(petition["UID"]) == f"action-{items['post'].id}@groundswell"
    assert petition.decoded("DTSTAMP") == NOW  # stamped by the one clock
    assert [str(t["TZID"]) for t in calendar.walk("VTIMEZONE")] == ["Europe/London"]


def test_a_volunteers_feed_holds_only_their_assignments_in_their_zone(plan, tmp_path):
    store, _, items = plan
    path = tmp_path / "asha.ics"
    calendar_feed.write_ics(volunteer_feed(store, items["asha"]), path)
    entries = {str(e["SUMMARY"]): e for e in parse(path).walk("VEVENT")}
    assert set(entries) == {"Share the petition", "Read-in at the central library (stall)"}
    petition = entries["Share the petition"].decoded("DTSTART")
    assert petition.tzinfo.key == "America/New_York"
    assert petition == datetime(2030, 5, 25, 7, tzinfo=ZoneInfo("America/New_York"))  # 12:00 BST
    assert [str(t["TZID"]) for t in parse(path).walk("VTIMEZONE")] == ["America/New_York"]

    tom = tmp_path / "tom.ics"
    calendar_feed.write_ics(volunteer_feed(store, items["tom"]), tom)
    assert [str(e["SUMMARY"]) for e in parse(tom).walk("VEVENT")] == ["Email your councillor"]  # declined left out


def test_cancelled_work_is_marked_cancelled(plan, tmp_path):
    store, campaign, items = plan
    store.plan.transition("actions", items["email"].id, "cancelled")
    calendar = campaign_feed(store, campaign)
    statuses = {str(e["SUMMARY"]): str(e["STATUS"]) for e in calendar.walk("VEVENT")}
    assert statuses["Email your councillor"] == "CANCELLED"
    assert statuses["Share the petition"] == "CONFIRMED"


def test_work_whose_window_has_passed_is_shown_done_without_being_stored_so(plan):
    store, campaign, items = plan
    with clock.pinned(datetime(2030, 5, 20, 22, 0, tzinfo=UTC)):  # the email window closed at 21:00 BST
        before = store.conn.total_changes
        statuses = {str(e["SUMMARY"]): str(e["STATUS"]) for e in campaign_feed(store, campaign).walk("VEVENT")}
        agenda = {item["title"]: item["subject_status"] for item in store.plan.volunteer_agenda(items["tom"].id)}
        assert store.conn.total_changes == before
    assert statuses["Email your councillor"] == "CONFIRMED"
    assert agenda == {"Email your councillor": "done"}


def test_the_feed_renders_the_objects_it_is_handed():
    action = planner.Action(1, "post", "Share the petition", "2030-05-25T12:00", "2030-05-25T14:00",
                            timezone="Europe/London", message="Sign it", status="scheduled", id=7).validate()
    calendar = calendar_feed.campaign_calendar([action], name="Nothing stored")
    [entry] = calendar.walk("VEVENT")
    assert str(entry["UID"]) == "action-7@groundswell" and str(entry["SUMMARY"]) == "Share the petition"
    assert entry.decoded("DTSTART") == datetime(2030, 5, 25, 12, tzinfo=ZoneInfo("Europe/London"))

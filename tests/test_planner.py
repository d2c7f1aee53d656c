"""The planner's rules: validation, lifecycles that move with the clock, needs, assignments, demands."""

from datetime import UTC, datetime

import pytest

from campaigns import clock, planner
from campaigns.errors import ValidationError
from campaigns.model import Campaign, Tracker


@pytest.fixture(autouse=True)
def early_march():
    """The clock before the campaign's calls to action, whatever today is."""
    with clock.pinned("2026-03-01T09:00:00Z") as moment:
        yield moment


@pytest.fixture
def campaign(store):
    return store.save_campaign(Campaign(
        slug="antisocial", name="#AntiSocialMedia", starts_at="2026-03-01", timezone="Europe/London",
        trackers=[Tracker("hashtag", "LoveSUs", "ours"), Tracker("hashtag", "FreeSpeechSU", "opposing")]))


def make_action(store, campaign, **changes):
    values = dict(campaign_id=campaign.id, kind="post", title="Flood the feed", message="Love our officers",
                  hashtags=["LoveSUs"], window_start="2026-03-10T12:00", window_end="2026-03-10T18:00",
                  timezone="Europe/London", goal_count=100)
    values.update(changes)
    return store.plan.save_action(planner.Action(**values))


def test_an_action_is_stored_in_utc_from_its_local_window(store, campaign):
    action = make_action(store, campaign, window_start="2026-07-10T12:00", window_end="2026-07-10T18:00")
    assert action.window_start == "2026-07-10T11:00:00Z"  # BST is UTC+1
    assert action.window_end == "2026-07-10T17:00:00Z"
    assert action.hashtags == ["LoveSUs"]
    assert store.plan.get_action(action.id).message == "Love our officers"


@pytest.mark.parametrize(("changes", "message"), [
    ({"window_end": "2026-03-10T11:00"}, "ends before it starts"),
    ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
    ({"goal_count": -5}, "goal count cannot be negative"),
    ({"kind": "shout"}, "bad kind 'shout'"),
    ({"title": "  "}, "title is required"),
    ({"message": ""}, "needs a message"),
    ({"hashtags": ["love sus"]}, "bad hashtag"),
    ({"link": "example.org"}, "link must start with http"),
])
def test_invalid_actions_are_refused_with_a_clear_message_and_change_nothing(store, campaign, changes, message):
    with pytest.raises(ValidationError, match=message):
        make_action(store, campaign, **changes)
    assert store.count("actions") == 0


def test_event_validation(store, campaign):
    def event(**changes):
        values = dict(campaign_id=campaign.id, title="Open forum", starts_at="2026-03-12T18:00",
                      ends_at="2026-03-12T20:00", timezone="Europe/London", capacity=40)
        values.update(changes)
        return store.plan.save_event(planner.Event(**values))

    with pytest.raises(ValidationError, match="capacity cannot be negative"):
        event(capacity=-1)
    with pytest.raises(ValidationError, match="ends before it starts"):
        event(ends_at="2026-03-12T17:00")
    with pytest.raises(ValidationError, match="unknown time zone"):
        event(timezone="Europe/Atlantis")
    with pytest.raises(ValidationError, match="listed twice"):
        event(needs=[planner.Need("water", 5), planner.Need("Water", 3)])
    assert store.count("events") == 0
    saved = event(needs=[planner.parse_need("bring water: 50"), planner.parse_need("banners: 4/1")])
    assert [(n.item, n.quantity, n.pledged) for n in saved.needs] == [("bring water", 50, 0), ("banners", 4, 1)]
    need = store.plan.pledge(saved.id, "Bring water", pledged=20, delivered=5)
    assert (need.pledged, need.delivered) == (20, 5)
    with pytest.raises(ValidationError, match="below zero"):
        store.plan.pledge(saved.id, "banners", delivered=-1)
    with pytest.raises(ValidationError, match="item: quantity"):
        planner.parse_need("water fifty")


WINDOW = ("2030-03-10T12:00:00Z", "2030-03-10T18:00:00Z")


@pytest.mark.parametrize(("stored", "now", "shown"), [
    ("scheduled", "2030-03-10T11:59:59Z", "scheduled"),
    ("scheduled", "2030-03-10T12:00:00Z", "live"),       # the window's first second
    ("scheduled", "2030-03-10T18:00:00Z", "done"),       # its end is outside it
    ("live", "2030-03-10T17:59:59Z", "live"),
    ("live", "2030-03-11T00:00:00Z", "done"),
    ("live", "2030-03-01T00:00:00Z", "live"),            # moved live by hand before the window
    ("draft", "2030-03-11T00:00:00Z", "draft"),          # a draft waits for a person
    ("cancelled", "2030-03-10T13:00:00Z", "cancelled"),
    ("done", "2030-03-10T13:00:00Z", "done"),
])
def test_the_status_now_moves_with_the_clock_only_where_it_should(stored, now, shown):
    assert planner.status_now(stored, *WINDOW, now) == shown


def test_reads_show_the_status_now_and_only_advance_stores_it(store, campaign):
    future = {"window_start": "2030-03-10T12:00", "window_end": "2030-03-10T18:00"}
    scheduled = make_action(store, campaign, status="scheduled", **future)
    draft = make_action(store, campaign, title="Not yet agreed", **future)
    event = store.plan.save_event(planner.Event(campaign.id, "Stall", "2030-03-10T12:00", "2030-03-10T14:00",
                                                status="scheduled"))
    before = store.conn.total_changes
    with clock.pinned(datetime(2030, 3, 10, 12, 0, tzinfo=UTC)):
        assert store.plan.get_action(scheduled.id).status == "live"
        listed = store.plan.actions(campaign.id)
        assert dict(zip(listed["id"], listed["status"], strict=True)) == {scheduled.id: "live", draft.id: "draft"}
        assert list(store.plan.events(campaign.id)["status"]) == ["live"]
        assert store.plan.get_event(event.id).status == "live"
        assert set(store.plan.timeline(campaign.id)["status"]) == {"live", "draft"}
        assert [e.status for e in store.plan.calendar_entries([campaign.id])] == ["live", "draft", "live"]
    assert store.conn.total_changes == before  # none of those reads wrote
    # Stored statuses move only in advance(); read with the clock before the window, a read shows
    # what is stored (a live action stays live there, so each move shows).
    assert store.plan.get_action(scheduled.id).status == "scheduled"
    assert store.plan.advance(datetime(2030, 3, 10, 11, 59, tzinfo=UTC)) == 0
    assert store.plan.advance(datetime(2030, 3, 10, 12, 0, tzinfo=UTC)) == 2
    assert store.plan.get_action(scheduled.id).status == "live"
    assert store.plan.advance("2030-03-10T18:00:00Z") == 2
    assert store.plan.get_action(scheduled.id).status == "done"
    assert store.plan.get_event(event.id).status == "done"
    assert store.plan.get_action(draft.id).status == "draft"
    assert store.plan.advance("2030-03-11T00:00:00Z") == 0


def test_invalid_transitions_are_refused(store, campaign):
    action = make_action(store, campaign, window_start="2030-01-01T10:00", window_end="2030-01-01T12:00")
    with pytest.raises(ValidationError, match="cannot move call to action .* from draft to done"):
        store.plan.transition("actions", action.id, "done")
    assert store.plan.transition("actions", action.id, "scheduled") == "scheduled"
    assert store.plan.transition("actions", action.id, "cancelled") == "cancelled"
    with pytest.raises(ValidationError, match="from cancelled: none, it is final"):
        store.plan.transition("actions", action.id, "scheduled")
    with pytest.raises(ValidationError, match="bad status 'finished'"):
        store.plan.transition("actions", action.id, "finished")
    edited = store.plan.get_action(action.id)
    edited.status = "live"
    with pytest.raises(ValidationError, match="cannot move"):
        store.plan.save_action(edited)


def test_a_scheduled_action_whose_window_has_passed_becomes_done(store, campaign):
    action = make_action(store, campaign, window_start="2020-01-01T10:00", window_end="2020-01-01T12:00")
    assert store.plan.transition("actions", action.id, "scheduled") == "done"


def test_variants_give_volunteers_different_wordings(store, campaign):
    action = make_action(store, campaign, variants=["Our officers are brilliant", "Be kind to your reps"])
    assert action.messages == ["Love our officers", "Our officers are brilliant", "Be kind to your reps"]
    assert {action.message_for(i) for i in range(3)} == set(action.messages)


def test_volunteer_handles_need_consent_and_assignments_follow_their_rules(store, campaign):
    with pytest.raises(ValidationError, match="consent"):
        store.plan.save_volunteer(planner.Volunteer("Priya", handles={"x": "priya"}))
    with pytest.raises(ValidationError, match="name@instance"):
        store.plan.save_volunteer(planner.Volunteer("Priya", consent_at="2026-03-01", handles={"mastodon": "p"}))
    priya = store.plan.save_volunteer(planner.Volunteer(
        "Priya", timezone="Asia/Kolkata", consent_at="2026-03-01", handles={"x": "@Priya", "mastodon": "p@mas.to"}))
    assert priya.handles == {"mastodon": "p@mas.to", "x": "Priya"}
    assert priya.mastodon_instance == "mas.to"
    with pytest.raises(ValidationError, match="exists already"):
        store.plan.save_volunteer(planner.Volunteer("priya"))
    action = make_action(store, campaign)
    assignment = store.plan.assign(priya.id, action_id=action.id)
    with pytest.raises(ValidationError, match="already has"):
        store.plan.assign(priya.id, action_id=action.id)
    with pytest.raises(ValidationError, match="one call to action or one event"):
        store.plan.assign(priya.id)
    store.plan.set_assignment_status(assignment.id, "declined")
    with pytest.raises(ValidationError, match="from declined to done"):
        store.plan.set_assignment_status(assignment.id, "done")


def test_event_capacity_limits_acceptances(store, campaign):
    event = store.plan.save_event(planner.Event(campaign.id, "Stall", "2026-03-12T10:00", "2026-03-12T12:00",
                                                    capacity=1))
    first = store.plan.save_volunteer(planner.Volunteer("Ana"))
    second = store.plan.save_volunteer(planner.Volunteer("Ben"))
    store.plan.assign(first.id, event_id=event.id, role="stall", status="accepted")
    with pytest.raises(ValidationError, match="is full"):
        store.plan.assign(second.id, event_id=event.id, role="stall", status="accepted")


def test_demands_move_through_dated_updates(store, campaign):
    demand = store.plan.save_demand(planner.Demand(campaign.id, "Adopt an abuse policy for officers",
                                                       decision_maker="University council", due_at="2026-06-01"),
                                 raised_at="2026-03-01")
    store.plan.add_demand_update(demand.id, status="acknowledged", note="Raised at council", at="2026-03-05")
    store.plan.add_demand_update(demand.id, status="promised", source_url="https://example.org/minutes",
                              at="2026-03-20")
    with pytest.raises(ValidationError, match="from promised to raised"):
        store.plan.add_demand_update(demand.id, status="raised")
    with pytest.raises(ValidationError, match="needs a new status"):
        store.plan.add_demand_update(demand.id)
    with pytest.raises(ValidationError, match="no collected post"):
        store.plan.add_demand_update(demand.id, evidence_uid="x:404")
    store.plan.add_demand_update(demand.id, status="implemented", note="Policy published", at="2026-05-01")
    store.plan.add_demand_update(demand.id, status="reversed", note="Policy withdrawn", at="2026-09-01")
    assert store.plan.get_demand(demand.id).status == "reversed"
    history = store.plan.demand_updates(demand.id)
    assert list(history["status"]) == ["raised", "acknowledged", "promised", "implemented", "reversed"]
    assert history.iloc[2]["source_url"] == "https://example.org/minutes"
    with pytest.raises(ValidationError, match="dated update"):
        store.plan.save_demand(planner.Demand(campaign.id, "x", status="implemented", id=demand.id))


def test_narratives_link_to_the_trackers_that_measure_them(store, campaign):
    opposing_tracker = next(t for t in campaign.trackers if t.side == "opposing")
    claim = store.plan.save_narrative(planner.Narrative(
        campaign.id, "opposing", "The campaign silences criticism", keywords="free speech, censorship",
        first_seen="2026-03-05T20:00", risk="high", decision="respond", tracker_ids=[opposing_tracker.id]),
        tz="Europe/London")
    assert claim.keywords == ["free speech", "censorship"]
    assert claim.first_seen == "2026-03-05T20:00:00Z"
    ours = store.plan.save_narrative(planner.Narrative(campaign.id, "ours", "Abuse is not free speech",
                                                           counters_id=claim.id, decision="respond"))
    assert ours.counters_id == claim.id
    with pytest.raises(ValidationError, match="bad decision"):
        store.plan.save_narrative(planner.Narrative(campaign.id, "opposing", "x", decision="shout"))
    with pytest.raises(ValidationError, match="not one of this campaign's trackers"):
        store.plan.save_narrative(planner.Narrative(campaign.id, "opposing", "x", tracker_ids=[999]))
    table = store.plan.narratives(campaign.id)
    assert table.loc[table["id"] == claim.id, "trackers"].item() == "#FreeSpeechSU"


def test_the_schedulers_plan_job_stores_what_the_clock_did(store, campaign, db_path):
    from collectors.scheduler import advance_plan

    action = make_action(store, campaign, status="scheduled")  # 10 March, 12:00 to 18:00 London
    with clock.pinned("2026-03-10T13:00:00Z"):
        advance_plan(str(db_path))
    assert store.plan.get_action(action.id).status == "live"  # stored: the clock here is 1 March
    with clock.pinned("2026-03-10T18:00:00Z"):
        advance_plan(str(db_path))
    assert store.plan.get_action(action.id).status == "done"

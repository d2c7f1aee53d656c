"""The planner's rules: validation, lifecycles that move with the clock, needs, assignments, demands."""

from datetime import UTC, datetime

import pytest

from campaigns import planner
from campaigns.errors import ValidationError
from campaigns.model import Campaign, Tracker


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
    return planner.save_action(store, planner.Action(**values))


def test_an_action_is_stored_in_utc_from_its_local_window(store, campaign):
    action = make_action(store, campaign, window_start="2026-07-10T12:00", window_end="2026-07-10T18:00")
    assert action.window_start == "2026-07-10T11:00:00Z"  # BST is UTC+1
    assert action.window_end == "2026-07-10T17:00:00Z"
    assert action.hashtags == ["LoveSUs"]
    assert planner.get_action(store, action.id).message == "Love our officers"


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
        return planner.save_event(store, planner.Event(**values))

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
    need = planner.pledge(store, saved.id, "Bring water", pledged=20, delivered=5)
    assert (need.pledged, need.delivered) == (20, 5)
    with pytest.raises(ValidationError, match="below zero"):
        planner.pledge(store, saved.id, "banners", delivered=-1)
    with pytest.raises(ValidationError, match="item: quantity"):
        planner.parse_need("water fifty")


def test_lifecycle_moves_with_the_clock_only_where_it_should(store, campaign):
    future = {"window_start": "2030-03-10T12:00", "window_end": "2030-03-10T18:00"}
    scheduled = make_action(store, campaign, status="scheduled", **future)
    draft = make_action(store, campaign, title="Not yet agreed", **future)
    conn = store.db.conn
    planner.advance_with_clock(conn, datetime(2030, 3, 10, 11, 59, tzinfo=UTC))
    assert planner.get_action(conn, scheduled.id).status == "scheduled"
    planner.advance_with_clock(conn, datetime(2030, 3, 10, 12, 0, tzinfo=UTC))
    assert planner.get_action(conn, scheduled.id).status == "live"
    planner.advance_with_clock(conn, datetime(2030, 3, 10, 18, 0, tzinfo=UTC))
    assert planner.get_action(conn, scheduled.id).status == "done"
    assert planner.get_action(conn, draft.id).status == "draft"  # a draft waits for a person


def test_invalid_transitions_are_refused(store, campaign):
    action = make_action(store, campaign, window_start="2030-01-01T10:00", window_end="2030-01-01T12:00")
    with pytest.raises(ValidationError, match="cannot move call to action .* from draft to done"):
        planner.transition(store, "actions", action.id, "done")
    assert planner.transition(store, "actions", action.id, "scheduled") == "scheduled"
    assert planner.transition(store, "actions", action.id, "cancelled") == "cancelled"
    with pytest.raises(ValidationError, match="from cancelled: none, it is final"):
        planner.transition(store, "actions", action.id, "scheduled")
    with pytest.raises(ValidationError, match="bad status 'finished'"):
        planner.transition(store, "actions", action.id, "finished")
    edited = planner.get_action(store, action.id)
    edited.status = "live"
    with pytest.raises(ValidationError, match="cannot move"):
        planner.save_action(store, edited)


def test_a_scheduled_action_whose_window_has_passed_becomes_done(store, campaign):
    action = make_action(store, campaign, window_start="2020-01-01T10:00", window_end="2020-01-01T12:00")
    assert planner.transition(store, "actions", action.id, "scheduled") == "done"


def test_variants_give_volunteers_different_wordings(store, campaign):
    action = make_action(store, campaign, variants=["Our officers are brilliant", "Be kind to your reps"])
    assert action.messages == ["Love our officers", "Our officers are brilliant", "Be kind to your reps"]
    assert {action.message_for(i) for i in range(3)} == set(action.messages)


def test_volunteer_handles_need_consent_and_assignments_follow_their_rules(store, campaign):
    with pytest.raises(ValidationError, match="consent"):
        planner.save_volunteer(store, planner.Volunteer("Priya", handles={"x": "priya"}))
    with pytest.raises(ValidationError, match="name@instance"):
        planner.save_volunteer(store, planner.Volunteer("Priya", consent_at="2026-03-01", handles={"mastodon": "p"}))
    priya = planner.save_volunteer(store, planner.Volunteer(
        "Priya", timezone="Asia/Kolkata", consent_at="2026-03-01", handles={"x": "@Priya", "mastodon": "p@mas.to"}))
    assert priya.handles == {"mastodon": "p@mas.to", "x": "Priya"}
    assert priya.mastodon_instance == "mas.to"
    with pytest.raises(ValidationError, match="exists already"):
        planner.save_volunteer(store, planner.Volunteer("priya"))
    action = make_action(store, campaign)
    assignment = planner.assign(store, priya.id, action_id=action.id)
    with pytest.raises(ValidationError, match="already has"):
        planner.assign(store, priya.id, action_id=action.id)
    with pytest.raises(ValidationError, match="one call to action or one event"):
        planner.assign(store, priya.id)
    planner.set_assignment_status(store, assignment.id, "declined")
    with pytest.raises(ValidationError, match="from declined to done"):
        planner.set_assignment_status(store, assignment.id, "done")


def test_event_capacity_limits_acceptances(store, campaign):
    event = planner.save_event(store, planner.Event(campaign.id, "Stall", "2026-03-12T10:00", "2026-03-12T12:00",
                                                    capacity=1))
    first = planner.save_volunteer(store, planner.Volunteer("Ana"))
    second = planner.save_volunteer(store, planner.Volunteer("Ben"))
    planner.assign(store, first.id, event_id=event.id, role="stall", status="accepted")
    with pytest.raises(ValidationError, match="is full"):
        planner.assign(store, second.id, event_id=event.id, role="stall", status="accepted")


def test_demands_move_through_dated_updates(store, campaign):
    demand = planner.save_demand(store, planner.Demand(campaign.id, "Adopt an abuse policy for officers",
                                                       decision_maker="University council", due_at="2026-06-01"),
                                 raised_at="2026-03-01")
    planner.add_demand_update(store, demand.id, status="acknowledged", note="Raised at council", at="2026-03-05")
    planner.add_demand_update(store, demand.id, status="promised", source_url="https://example.org/minutes",
                              at="2026-03-20")
    with pytest.raises(ValidationError, match="from promised to raised"):
        planner.add_demand_update(store, demand.id, status="raised")
    with pytest.raises(ValidationError, match="needs a new status"):
        planner.add_demand_update(store, demand.id)
    with pytest.raises(ValidationError, match="no collected post"):
        planner.add_demand_update(store, demand.id, evidence_uid="x:404")
    planner.add_demand_update(store, demand.id, status="implemented", note="Policy published", at="2026-05-01")
    planner.add_demand_update(store, demand.id, status="reversed", note="Policy withdrawn", at="2026-09-01")
    assert planner.get_demand(store, demand.id).status == "reversed"
    history = planner.demand_updates(store, demand.id)
    assert list(history["status"]) == ["raised", "acknowledged", "promised", "implemented", "reversed"]
    assert history.iloc[2]["source_url"] == "https://example.org/minutes"
    with pytest.raises(ValidationError, match="dated update"):
        planner.save_demand(store, planner.Demand(campaign.id, "x", status="implemented", id=demand.id))


def test_narratives_link_to_the_trackers_that_measure_them(store, campaign):
    opposing_tracker = next(t for t in campaign.trackers if t.side == "opposing")
    claim = planner.save_narrative(store, planner.Narrative(
        campaign.id, "opposing", "The campaign silences criticism", keywords="free speech, censorship",
        first_seen="2026-03-05T20:00", risk="high", decision="respond", tracker_ids=[opposing_tracker.id]),
        tz="Europe/London")
    assert claim.keywords == ["free speech", "censorship"]
    assert claim.first_seen == "2026-03-05T20:00:00Z"
    ours = planner.save_narrative(store, planner.Narrative(campaign.id, "ours", "Abuse is not free speech",
                                                           counters_id=claim.id, decision="respond"))
    assert ours.counters_id == claim.id
    with pytest.raises(ValidationError, match="bad decision"):
        planner.save_narrative(store, planner.Narrative(campaign.id, "opposing", "x", decision="shout"))
    with pytest.raises(ValidationError, match="not one of this campaign's trackers"):
        planner.save_narrative(store, planner.Narrative(campaign.id, "opposing", "x", tracker_ids=[999]))
    table = planner.narratives(store, campaign.id)
    assert table.loc[table["id"] == claim.id, "trackers"].item() == "#FreeSpeechSU"

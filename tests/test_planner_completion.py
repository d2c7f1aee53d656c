"""Completion from the listening data: posts with the action's hashtag inside its window count."""

import pytest

from campaigns import clock, planner
from campaigns.model import Campaign, Mention, Tracker


@pytest.fixture(autouse=True)
def the_day_before():
    """The clock the day before the call to action's window, whatever today is."""
    with clock.pinned("2026-03-09T12:00:00Z") as moment:
        yield moment


@pytest.fixture
def seeded(store):
    """A campaign, a call to action on 10 March 12:00-18:00 UTC for #LoveSUs, and posts around it."""
    campaign = store.save_campaign(Campaign(
        slug="antisocial", name="#AntiSocialMedia", starts_at="2026-03-01", timezone="UTC",
        trackers=[Tracker("hashtag", "LoveSUs", "ours"), Tracker("hashtag", "AntiSocialMedia", "ours")]))
    action = store.plan.save_action(planner.Action(
        campaign.id, "post", "Flood the feed", "2026-03-10T12:00", "2026-03-10T18:00", message="Love our officers",
        hashtags=["#LoveSUs"], goal_count=4, status="scheduled"))

    def post(native_id, created_at, text, author, platform="x"):
        return Mention(platform=platform, native_id=native_id, created_at=created_at, text=text,
                       author_key=author, author_handle=author)

    store.upsert_mentions([
        post("1", "2026-03-10T11:59:59Z", "Early #LoveSUs", "priya"),          # just before the window
        post("2", "2026-03-10T12:00:00Z", "Start #LoveSUs", "someone"),        # first second inside
        post("3", "2026-03-10T13:30:00Z", "Thank you officers #lovesus", "priya"),
        post("4", "2026-03-10T14:00:00Z", "Also #LOVESUS from me", "priya"),
        post("5", "2026-03-10T17:59:59Z", "Last second #LoveSUs", "ben_m", platform="bluesky"),
        post("6", "2026-03-10T18:00:00Z", "Too late #LoveSUs", "carla"),       # the end is outside
        post("7", "2026-03-10T15:00:00Z", "Other tag #AntiSocialMedia", "carla"),
        post("8", "2026-03-10T15:00:00Z", "Bluesky handle only #LoveSUs", "ben_m"),  # X, not Bluesky
        post("9", "2026-03-10T16:00:00Z", "No consent #LoveSUs", "dan"),
    ])
    return store, campaign, action


def volunteer(store, name, handles, consent="2026-03-01"):
    return store.plan.save_volunteer(planner.Volunteer(name, consent_at=consent, handles=handles))


def test_posts_inside_the_window_count_against_the_goal(seeded):
    store, _, action = seeded
    # 2, 3, 4, 5, 8, 9: the post a second before and the one at the window's end are outside.
    assert store.plan.action_post_count(action.id) == 6
    progress = store.plan.action_progress(action.id)
    assert progress["goal"] == 4 and progress["share"] == 1.5


def test_a_volunteers_post_marks_their_assignment_done_with_the_post_as_evidence(seeded):
    store, campaign, action = seeded
    priya = volunteer(store, "Priya", {"x": "@Priya"})
    ben = volunteer(store, "Ben", {"bluesky": "ben_m"})
    carla = volunteer(store, "Carla", {"x": "carla"})
    carla.consent_at = None  # withdrawn: her handles go with it
    carla.handles = {}
    carla = store.plan.save_volunteer(carla)
    assert carla.handles == {}
    dan = store.plan.save_volunteer(planner.Volunteer("Dan"))  # no handle given
    ids = {v.display_name: store.plan.assign(v.id, action_id=action.id).id for v in (priya, ben, carla, dan)}

    result = store.plan.complete_from_mentions(campaign.id)

    done = store.plan.get_assignment(ids["Priya"])
    assert (done.status, done.evidence_uid, done.done_at) == ("done", "x:3", "2026-03-10T13:30:00Z")
    bluesky = store.plan.get_assignment(ids["Ben"])
    assert (bluesky.status, bluesky.evidence_uid) == ("done", "bluesky:5")
    assert store.plan.get_assignment(ids["Carla"]).status == "invited"  # consent withdrawn
    assert store.plan.get_assignment(ids["Dan"]).status == "invited"
    assert sorted(uid for _, uid in result.assignments_done) == ["bluesky:5", "x:3"]
    # Calling it again after the next batch changes nothing already done.
    assert store.plan.complete_from_mentions(campaign.id).assignments_done == []


def test_a_post_just_outside_the_window_does_not_complete(seeded):
    store, campaign, action = seeded
    carla = volunteer(store, "Carla", {"x": "carla"})  # posted at 18:00:00, the window's end
    assignment = store.plan.assign(carla.id, action_id=action.id)
    store.plan.complete_from_mentions(campaign.id)
    assert store.plan.get_assignment(assignment.id).status == "invited"


def test_cancelled_actions_are_not_completed(seeded):
    store, campaign, action = seeded
    priya = volunteer(store, "Priya", {"x": "priya"})
    assignment = store.plan.assign(priya.id, action_id=action.id)
    with clock.pinned("2026-03-10T13:00:00Z"):  # while its window is open, so it can still be cancelled
        assert store.plan.transition("actions", action.id, "cancelled") == "cancelled"
    store.plan.complete_from_mentions(campaign.id)
    assert store.plan.get_assignment(assignment.id).status == "invited"


def test_pseudonymised_authors_match_through_key_of(seeded):
    store, campaign, action = seeded
    store.db.conn.execute("UPDATE mentions SET author_key = 'anon-' || author_key")
    priya = volunteer(store, "Priya", {"x": "Priya"})
    assignment = store.plan.assign(priya.id, action_id=action.id)
    store.plan.complete_from_mentions(campaign.id, key_of=lambda handle: f"anon-{handle}")
    assert store.plan.get_assignment(assignment.id).evidence_uid == "x:3"


def test_a_collection_run_marks_volunteers_done_from_the_posts_it_stores(store, settings):
    from collectors.base import Page, Plan, Scope
    from collectors.runner import run_source

    campaign = store.save_campaign(Campaign(slug="libraries", name="Libraries", starts_at="2026-03-01",
                                            trackers=[Tracker("hashtag", "ReadIn", "ours")]))
    action = store.plan.save_action(planner.Action(
        campaign.id, "post", "Post from the read-in", "2026-03-10T10:00", "2026-03-10T16:00",
        message="At the read-in", hashtags=["ReadIn"], status="scheduled"))
    grace = volunteer(store, "Grace", {"mastodon": "grace@mas.to"})
    assignment = store.plan.assign(grace.id, action_id=action.id)
    posts = [Mention(platform="mastodon", native_id="1", created_at="2026-03-10T11:00:00Z", text="#ReadIn today",
                     author_key="grace@mas.to", sentiment=0.5, abuse=0.0, lang="en")]

    class OnePage:
        name = "mastodon"

        def missing(self):
            return None

        def plan(self, campaign, store):
            return Plan(scopes=[Scope(key="tag:readin", label="#ReadIn", fetch=lambda since, position: Page(posts))])

    result = run_source(store, settings, "mastodon", campaign, collector=OnePage())
    assert result.new == 1
    done = store.plan.get_assignment(assignment.id)
    assert (done.status, done.evidence_uid) == ("done", "mastodon:1")

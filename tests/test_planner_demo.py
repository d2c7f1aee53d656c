"""The demo's plan answers to its bursts: every moment has its plan item, at the moment's time."""

from datetime import timedelta

import pytest

from campaigns import clock
from campaigns.model import iso_utc
from campaigns.store import Store
from demo.data import demo_campaigns
from demo.moments import moment_time
from tests.conftest import DEMO_UNTIL


@pytest.fixture(autouse=True)
def end_of_the_demo():
    """The clock at the end of the demo period, whatever today is."""
    with clock.pinned(DEMO_UNTIL) as moment:
        yield moment


def test_every_demo_moment_has_the_plan_item_that_caused_it(demo_db):
    ends = DEMO_UNTIL
    starts = ends - timedelta(days=30)
    with Store.open(demo_db) as store:
        for demo in demo_campaigns(starts, ends):
            campaign = store.campaign(demo.campaign.slug)
            actions = store.plan.actions(campaign.id)
            events = store.plan.events(campaign.id)
            narratives = store.plan.narratives(campaign.id)
            for moment in demo.moments:
                at = iso_utc(moment_time(moment, starts, ends, campaign.timezone))
                if moment.kind == "action":
                    row = actions[(actions["title"] == moment.title) & (actions["window_start"] == at)]
                    assert len(row) == 1, moment.title
                    assert row["status"].item() == "done" and f"#{moment.tag}" in row["hashtags"].item().lower()
                elif moment.kind == "event":
                    row = events[(events["title"] == moment.title) & (events["starts_at"] == at)]
                    assert len(row) == 1 and store.plan.get_event(int(row["id"].item())).needs
                else:
                    seen = narratives[(narratives["side"] == "opposing") & (narratives["first_seen"] == at)]
                    assert len(seen) == 1, moment.title
            markers = store.plan.markers(campaign.id, iso_utc(starts), iso_utc(ends))
            assert len(markers) == len(demo.moments) + sum(m.kind == "event" for m in demo.moments)
            assert not store.plan.demands(campaign.id).empty


def test_the_demo_plan_is_as_of_the_end_of_its_period(demo_db):
    with Store.open(demo_db) as store:
        campaign = store.campaign("antisocial")
        upcoming = [a for a in store.plan.campaign_actions(campaign.id) if a.title.startswith("Next push")]
        assert [a.status for a in upcoming] == ["scheduled"]  # three days after the demo's end
        assert upcoming[0].window_start > iso_utc(DEMO_UNTIL)


def test_demo_volunteers_were_marked_done_by_their_own_posts(demo_db):
    with Store.open(demo_db) as store:
        done = 0
        for campaign in store.campaigns():
            assigned = store.plan.assignments(campaign.id)
            consenting = {v.id for v in map(store.plan.get_volunteer, store.plan.volunteers(campaign.id)["id"])
                          if v.consent_at}
            evidenced = assigned[assigned["evidence_uid"].notna()]
            # A volunteer without consent has no handle and nothing marked done from posts.
            assert set(evidenced["volunteer_id"]) <= consenting
            for row in evidenced[evidenced["kind"] == "action"].itertuples():
                action = store.plan.get_action(int(row.subject_id))
                handles = store.plan.get_volunteer(int(row.volunteer_id)).handles
                post = store.mention(row.evidence_uid)
                assert row.status == "done"
                assert handles[post["platform"]].lower() == post["author_key"]
                assert action.window_start <= post["created_at"] < action.window_end
                assert any(f"#{t.lower()}" in post["text"].lower() for t in action.hashtags)
                done += 1
        assert done >= 5

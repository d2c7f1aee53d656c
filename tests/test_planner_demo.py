"""The demo's plan answers to its bursts: every moment has its plan item, at the moment's time."""

import json
from datetime import timedelta

from campaigns import planner
from campaigns.model import iso_utc
from campaigns.store import Store
from demo.data import demo_campaigns
from demo.moments import moment_time
from tests.conftest import DEMO_UNTIL


def test_every_demo_moment_has_the_plan_item_that_caused_it(demo_db):
    ends = DEMO_UNTIL
    starts = ends - timedelta(days=30)
    with Store.open(demo_db) as store:
        conn = store.db.conn
        for demo in demo_campaigns(starts, ends):
            campaign = store.campaign(demo.campaign.slug)
            for moment in demo.moments:
                at = iso_utc(moment_time(moment, starts, ends, campaign.timezone))
                if moment.kind == "action":
                    row = conn.execute("SELECT status, hashtags FROM actions WHERE campaign_id = ? AND title = ?"
                                       " AND window_start = ?", [campaign.id, moment.title, at]).fetchone()
                    assert row is not None, moment.title
                    assert row[0] == "done" and moment.tag in row[1].lower()
                elif moment.kind == "event":
                    event = conn.execute("SELECT id FROM events WHERE campaign_id = ? AND title = ? AND starts_at = ?",
                                         [campaign.id, moment.title, at]).fetchone()
                    assert event is not None and planner.get_event(conn, event[0]).needs
                else:
                    assert conn.execute("SELECT 1 FROM narratives WHERE campaign_id = ? AND side = 'opposing'"
                                        " AND first_seen = ?", [campaign.id, at]).fetchone(), moment.title
            markers = planner.markers(conn, campaign.id, iso_utc(starts), iso_utc(ends))
            assert len(markers) == len(demo.moments) + sum(m.kind == "event" for m in demo.moments)
            assert not planner.demands(conn, campaign.id).empty


def test_demo_volunteers_were_marked_done_by_their_own_posts(demo_db):
    with Store.open(demo_db) as store:
        conn = store.db.conn
        done = conn.execute(
            "SELECT s.evidence_uid, a.hashtags, a.window_start, a.window_end, h.handle, m.author_key, m.created_at"
            " FROM assignments s JOIN actions a ON a.id = s.action_id JOIN volunteer_handles h"
            " ON h.volunteer_id = s.volunteer_id JOIN mentions m ON m.uid = s.evidence_uid"
            " WHERE s.status = 'done'").fetchall()
        assert len(done) >= 5
        for uid, tags, start, end, handle, author, created_at in done:
            assert handle.lower() == author
            assert start <= created_at < end
            assert any(f"#{t.lower()}" in store.mention(uid)["text"].lower() for t in json.loads(tags))
        # A volunteer without consent has no handle and nothing marked done from posts.
        assert conn.execute("SELECT count(*) FROM volunteers v WHERE consent_at IS NULL AND EXISTS"
                            " (SELECT 1 FROM assignments s WHERE s.volunteer_id = v.id AND s.evidence_uid IS NOT NULL)"
                            ).fetchone()[0] == 0

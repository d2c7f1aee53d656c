"""Corrections from the posts stream: tone, side and verdict by role, and every number follows at once."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest
from test_access import logged_in

from campaigns.metrics import Filters
from campaigns.store import Store

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")
PASSWORD = "a long enough password"


def posts_page(at: AppTest) -> AppTest:
    at.run()
    at.selectbox(key="range_preset").set_value("Campaign to date").run()
    at.switch_page("app_pages/posts.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def tile(at: AppTest, label: str) -> int:
    return int(next(m for m in at.metric if m.label == label).value.replace(",", ""))


def test_a_side_correction_on_the_posts_page_moves_overview_and_traction_at_once(demo_copy):
    at = posts_page(AppTest.from_file(ENTRY, default_timeout=60))
    chosen = at.session_state["selection"]
    at.switch_page("app_pages/traction.py").run()
    before = tile(at, "Mentions")
    at.switch_page("app_pages/overview.py").run()
    overview_before = tile(at, "Mentions")
    at.switch_page("app_pages/posts.py").run()

    uid = at.selectbox(key="post_posts").value
    assert at.session_state["selection"].side == "ours"
    at.selectbox(key="side_posts").set_value("opposing")
    at.selectbox(key="tone_posts").set_value("negative")
    at.text_input(key="who_posts").set_value("Robin").run()
    at.button(key="correct_posts").click().run()
    assert not at.exception, [e.message for e in at.exception]

    with Store.open(demo_copy) as store:
        side, tone_fix = store.conn.execute(
            "SELECT side, tone_fix FROM mention_matches WHERE mention_uid = ? AND campaign_id = ?",
            [uid, chosen.campaign.id]).fetchone()
        who = store.conn.execute("SELECT group_concat(DISTINCT who) FROM corrections WHERE mention_uid = ?",
                                 [uid]).fetchone()[0]
        stored = store.reads.kpis(Filters(chosen.campaign.id, chosen.filters().start, chosen.filters().end,
                                          sides=("ours",)))
    assert (side, tone_fix, who) == ("opposing", "negative", "Robin")
    # The post left our side's headline on every page, at once (the cached reads were dropped).
    at.switch_page("app_pages/traction.py").run()
    assert tile(at, "Mentions") == before - 1 == stored.mentions
    at.switch_page("app_pages/overview.py").run()
    assert tile(at, "Mentions") == overview_before - 1


def test_an_organiser_corrects_tone_and_side_but_not_a_verdict_and_a_safety_lead_the_verdict(demo_copy):
    with Store.open(demo_copy) as store:
        store.add_user("org", "organiser", PASSWORD)
        store.add_user("lee", "safety", PASSWORD)
    at = posts_page(logged_in("org", PASSWORD))
    keys = {w.key for w in at.selectbox}
    assert {"tone_posts", "side_posts"} <= keys and "verdict_posts" not in keys
    assert not [b for b in at.button if b.key == "reveal_posts"]

    at = posts_page(logged_in("lee", PASSWORD))
    keys = {w.key for w in at.selectbox}
    assert "verdict_posts" in keys and not {"tone_posts", "side_posts"} & keys
    chosen = at.session_state["selection"]
    uid = at.selectbox(key="post_posts").value
    filters = Filters(chosen.campaign.id, chosen.filters().start, chosen.filters().end, sides=("ours",))
    with Store.open(demo_copy) as store:
        abusive = store.reads.kpis(filters).abusive
        verdict = store.conn.execute("SELECT verdict FROM mention_matches WHERE mention_uid = ? AND campaign_id = ?",
                                     [uid, chosen.campaign.id]).fetchone()[0]
    assert verdict is None
    at.selectbox(key="verdict_posts").set_value("abusive")
    at.button(key="correct_posts").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Store.open(demo_copy) as store:
        assert store.reads.kpis(filters).abusive == abusive + 1
        assert store.conn.execute("SELECT who FROM corrections WHERE mention_uid = ? AND field = 'verdict'",
                                  [uid]).fetchone()[0] == "lee"

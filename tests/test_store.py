"""The store: upserts keep one row with the newest counts; the roll-up always equals a direct count."""

from dataclasses import replace

from campaigns import metrics
from campaigns.model import Campaign, Mention, Tracker, classify_term


def make_campaign(store, slug="antisocial", **sides):
    sides = sides or {"ours": ["#AntiSocialMedia", "online abuse"], "opposing": ["#FreeSpeechSU"],
                      "protect": ["@nusuk"]}
    trackers = [Tracker(*classify_term(t), side=side) for side, terms in sides.items() for t in terms]
    return store.save_campaign(Campaign(slug=slug, name=slug, starts_at="2026-03-01", trackers=trackers))


def mention(native_id, text, created_at="2026-03-02T10:15:00Z", **fields):
    defaults = dict(platform="x", author_key=f"user{native_id}", author_followers=100, likes=1, reposts=0,
                    replies=0, quotes=0, sentiment=0.5, abuse=0.1)
    defaults.update(fields)
    return Mention(native_id=str(native_id), created_at=created_at, text=text, **defaults)


def direct_rollup(conn):
    """The roll-up recomputed from the matches themselves."""
    return conn.execute(
        "SELECT campaign_id, substr(created_at, 1, 13) || ':00:00Z', platform, side, count(*), sum(is_repost),"
        " sum(engagement), round(sum(coalesce(sentiment, 0)), 6), sum(sentiment >= 0.05), sum(sentiment <= -0.05),"
        f" sum(abuse >= {metrics.OFFENSIVE_THRESHOLD}) FROM mention_matches GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
    ).fetchall()


def stored_rollup(conn):
    return conn.execute(
        "SELECT campaign_id, hour, platform, side, mentions, reposts, engagement, round(sentiment_sum, 6), pos, neg,"
        " abusive FROM hourly WHERE mentions > 0 ORDER BY 1, 2, 3, 4"
    ).fetchall()


def test_a_mention_seen_again_is_one_row_with_the_newer_counts(store):
    make_campaign(store)
    first = store.upsert_mentions([mention(1, "#AntiSocialMedia now", likes=2)])
    assert (first.new, first.updated, first.matched) == (1, 0, 1)
    again = store.upsert_mentions([mention(1, "#AntiSocialMedia now", likes=10, replies=3)])
    assert (again.new, again.updated, again.matched) == (0, 1, 0)
    assert store.count("mentions") == 1
    row = store.mention("x:1")
    assert (row["likes"], row["replies"], row["engagement"]) == (10, 3, 13)
    assert store.db.conn.execute("SELECT mentions, engagement FROM hourly").fetchall() == [(1, 13)]


def test_a_count_the_platform_did_not_report_keeps_the_stored_one(store):
    make_campaign(store)
    store.upsert_mentions([mention(1, "#AntiSocialMedia", likes=7)])
    store.upsert_mentions([mention(1, "#AntiSocialMedia", likes=None, impressions=50)])
    row = store.mention("x:1")
    assert (row["likes"], row["impressions"]) == (7, 50)


def test_the_same_batch_twice_changes_no_number(store):
    make_campaign(store)
    batch = [mention(i, "#AntiSocialMedia online abuse", likes=i) for i in range(20)]
    store.upsert_mentions(batch)
    before = stored_rollup(store.db.conn)
    result = store.upsert_mentions(batch)
    assert (result.new, result.updated) == (0, 20)
    assert stored_rollup(store.db.conn) == before
    assert store.count("mention_matches") == 20
    assert store.count("mention_hashtags") == 20


def test_rollup_equals_a_direct_count_after_mixed_batches(store):
    make_campaign(store)
    make_campaign(store, "libraries", ours=["#SaveOurLibraries", "online abuse"])
    batches = [
        [mention(1, "#AntiSocialMedia", sentiment=0.7), mention(2, "#FreeSpeechSU nonsense", sentiment=-0.6, abuse=0.9),
         mention(3, "online abuse #SaveOurLibraries", created_at="2026-03-02T11:59:59Z", platform="mastodon")],
        [mention(1, "#AntiSocialMedia", likes=40, sentiment=0.7),
         mention(4, "RT: #AntiSocialMedia", is_repost=True, reposted_uid="x:1", likes=40, reposts=5),
         mention(5, "@nusuk you idiot", abuse=0.95, sentiment=-0.5), mention(6, "unrelated post")],
        [mention(2, "#FreeSpeechSU nonsense", sentiment=0.0, abuse=0.2, likes=3)],
    ]
    for batch in batches:
        store.upsert_mentions(batch)
    assert stored_rollup(store.db.conn) == direct_rollup(store.db.conn)
    # The repost carries the original's counts but adds no engagement of its own.
    assert store.mention("x:4")["engagement"] == 0
    assert store.count("mentions") == 6
    assert store.db.conn.execute("SELECT count(*) FROM mention_matches WHERE mention_uid = 'mastodon:3'").fetchone()[0] == 2


def test_side_is_kept_and_tags_and_trackers_recorded(store):
    campaign = make_campaign(store)
    store.upsert_mentions([mention(1, "#AntiSocialMedia vs #FreeSpeechSU @nusuk")])
    assert store.db.conn.execute("SELECT side FROM mention_matches").fetchone() == ("opposing",)
    tags = [r[0] for r in store.db.conn.execute("SELECT tag FROM mention_hashtags ORDER BY tag")]
    assert tags == ["antisocialmedia", "freespeechsu"]
    assert store.db.conn.execute("SELECT count(*) FROM mention_trackers").fetchone()[0] == 3
    assert {t.side for t in campaign.trackers} == {"ours", "opposing", "protect"}


def test_campaign_ids_limit_matching_to_one_campaign(store):
    make_campaign(store)
    other = make_campaign(store, "libraries", ours=["#AntiSocialMedia"])
    result = store.upsert_mentions([mention(1, "#AntiSocialMedia")], campaign_ids=[other.id])
    assert result.matched == 1
    assert store.db.conn.execute("SELECT campaign_id FROM mention_matches").fetchall() == [(other.id,)]


def test_the_cursor_is_saved_with_the_batch(store):
    make_campaign(store)
    store.upsert_mentions([mention(1, "#AntiSocialMedia")], cursor=("x", "tracker:1", {"since_id": "1"}))
    assert store.cursor("x", "tracker:1")["since_id"] == "1"
    assert store.cursor("x", "tracker:2") is None


def test_a_campaign_changed_in_another_connection_is_seen_by_the_matcher(store, db_path):
    from campaigns.store import Store

    make_campaign(store)
    assert store.upsert_mentions([mention(1, "#NewTag")]).matched == 0
    with Store.open(db_path) as other:
        other.add_tracker("antisocial", "#NewTag", "ours")
    assert store.upsert_mentions([mention(2, "#NewTag")]).matched == 1


def test_saving_a_campaign_keeps_unchanged_tracker_ids(store):
    campaign = make_campaign(store)
    ids = {t.term: t.id for t in campaign.trackers}
    campaign.trackers.append(Tracker("hashtag", "LoveSUs", "ours"))
    campaign.trackers = [t for t in campaign.trackers if t.term != "@nusuk"]
    saved = store.save_campaign(replace(campaign))
    assert {t.term: t.id for t in saved.trackers if t.term in ids} == {k: v for k, v in ids.items() if k != "@nusuk"}
    assert [t.term for t in saved.trackers] == ["#AntiSocialMedia", "online abuse", "#FreeSpeechSU", "#LoveSUs"]


def test_kpis_match_sql_over_whole_hours_and_partial_windows(store):
    campaign = make_campaign(store)
    store.upsert_mentions([
        mention(1, "#AntiSocialMedia", author_key="a", author_followers=100, created_at="2026-03-02T10:10:00Z"),
        mention(2, "#AntiSocialMedia", author_key="a", author_followers=120, created_at="2026-03-02T11:10:00Z"),
        mention(3, "#FreeSpeechSU", author_key="b", author_followers=50, created_at="2026-03-02T11:40:00Z",
                sentiment=-0.4),
        mention(4, "#AntiSocialMedia", platform="reddit", author_key="c", author_followers=None,
                audience_key="r/uniuk", audience_size=300_000, created_at="2026-03-02T12:05:00Z"),
        mention(5, "#AntiSocialMedia rss", platform="rss", author_key=None, author_followers=None,
                created_at="2026-03-02T12:30:00Z"),
    ])
    whole = store.reads.kpis(metrics.Filters(campaign.id, "2026-03-02T10:00:00Z", "2026-03-02T13:00:00Z"))
    assert (whole.mentions, whole.unique_authors, whole.ours, whole.opposing) == (5, 3, 4, 1)
    # Author "a" once, with the largest follower count in the window; the subreddit once.
    assert whole.potential_reach == 120 + 50 + 300_000
    assert whole.share_of_voice == 4 / 5
    partial = store.reads.kpis(metrics.Filters(campaign.id, "2026-03-02T11:30:00Z", "2026-03-02T12:10:00Z"))
    assert (partial.mentions, partial.unique_authors, partial.potential_reach) == (2, 2, 50 + 300_000)
    rss_only = store.reads.kpis(metrics.Filters(campaign.id, "2026-03-02T12:20:00Z", "2026-03-02T12:40:00Z",
                                                           platforms=("rss",)))
    assert (rss_only.mentions, rss_only.potential_reach) == (1, None)


def test_unique_authors_over_a_range_are_not_the_sum_of_days(store):
    campaign = make_campaign(store)
    store.upsert_mentions([mention(i, "#AntiSocialMedia", author_key="same", created_at=f"2026-03-0{i}T10:00:00Z")
                           for i in range(1, 5)])
    filters = metrics.Filters(campaign.id, "2026-03-01T00:00:00Z", "2026-03-05T00:00:00Z")
    days = store.reads.distinct_series(filters, "UTC", "day")
    assert list(days["unique_authors"]) == [1, 1, 1, 1]
    assert store.reads.kpis(filters).unique_authors == 1
    assert store.reads.kpis(filters).potential_reach == 100


def test_local_day_buckets_follow_the_campaign_time_zone_across_dst(store):
    from datetime import UTC, datetime

    spans = metrics.local_buckets(datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 31, tzinfo=UTC),
                                  "Europe/London", "day")
    lengths = [(b - a).total_seconds() / 3600 for a, b in spans]
    assert lengths == [24, 23, 24, 1]  # 29 March 2026 is 23 hours long in London


def test_spikes_need_three_sigmas_and_ten_mentions(store):
    campaign = make_campaign(store)
    quiet = [mention(i, "#AntiSocialMedia", created_at=f"2026-03-{1 + i // 24:02d}T{i % 24:02d}:05:00Z")
             for i in range(8 * 24)]
    burst = [mention(10_000 + i, "#AntiSocialMedia", created_at="2026-03-09T01:10:00Z") for i in range(12)]
    store.upsert_mentions(quiet + burst)
    found = store.reads.spikes(metrics.Filters(campaign.id, "2026-03-08T00:00:00Z", "2026-03-10T00:00:00Z"))
    assert [str(h) for h in found["hour"]] == ["2026-03-09 01:00:00+00:00"]
    assert found["mentions"].tolist() == [12]


def test_net_sentiment_and_share_of_voice_definitions():
    assert metrics.net_sentiment(3, 1) == 0.5
    assert metrics.net_sentiment(0, 0) is None
    assert metrics.share_of_voice(0, 0) is None
    assert metrics.sentiment_class(0.05) == "positive"
    assert metrics.sentiment_class(-0.05) == "negative"
    assert metrics.sentiment_class(0.049) == "neutral"
    assert metrics.sentiment_class(None) is None


def test_real_posts_never_land_in_demo_campaigns_nor_demo_posts_in_real_ones(store):
    demo = Campaign(slug="demo", name="demo", starts_at="2026-03-01", is_demo=True,
                    trackers=[Tracker("hashtag", "AntiSocialMedia", "ours")])
    demo_id = store.save_campaign(demo).id
    real_id = make_campaign(store).id
    store.upsert_mentions([mention(1, "#AntiSocialMedia collected")])
    store.upsert_mentions([mention(2, "#AntiSocialMedia generated")], is_demo=True)
    rows = dict(store.db.conn.execute("SELECT mention_uid, group_concat(campaign_id) FROM mention_matches "
                                      "GROUP BY mention_uid").fetchall())
    assert rows == {"x:1": str(real_id), "x:2": str(demo_id)}


def test_short_and_long_windows_count_the_same_whichever_index_serves_them(store, monkeypatch):
    campaign = make_campaign(store)
    store.upsert_mentions([
        mention(i, "#AntiSocialMedia" if i % 3 else "#FreeSpeechSU", author_key=f"a{i % 7}",
                author_followers=100 + i, platform="reddit" if i % 5 == 0 else "x",
                audience_key="r/uniuk" if i % 5 == 0 else None, audience_size=5000 if i % 5 == 0 else None,
                created_at=f"2026-03-{1 + i % 28:02d}T{i % 24:02d}:00:00Z")
        for i in range(200)])
    conn = store.db.conn
    whole = metrics.Filters(campaign.id, "2026-03-01T00:00:00Z", "2026-03-29T00:00:00Z", sides=("ours",))
    short = whole.shifted("2026-03-10T00:00:00Z", "2026-03-12T00:00:00Z")
    assert store.reads.is_long_window(whole) and not store.reads.is_long_window(short)
    answers = {}
    for share in (0.0, 2.0):  # every window long, then every window short
        monkeypatch.setattr(metrics, "LONG_WINDOW_SHARE", share)
        answers[share] = [store.reads.distinct_totals(f) for f in (whole, short)]
    assert answers[0.0] == answers[2.0]
    plan = " ".join(row[3] for row in conn.execute(
        "EXPLAIN QUERY PLAN SELECT count(DISTINCT author_key) FROM mention_matches INDEXED BY mention_matches_authors"
        " WHERE campaign_id = ? AND created_at >= ? AND created_at < ?", [campaign.id, whole.start, whole.end]))
    assert "TEMP B-TREE" not in plan


def test_a_campaign_defined_later_is_rematched_to_exactly_what_it_would_have_held(store, db_path, tmp_path):
    from campaigns.store import Store

    posts = [
        mention(1, "Proud of our officers #AntiSocialMedia", created_at="2026-03-02T10:00:00Z"),
        mention(2, "RT @a: Proud of our officers…", is_repost=True, reposted_uid="x:1", hashtags=[],
                context_text="Proud of our officers #AntiSocialMedia", created_at="2026-03-02T11:00:00Z"),
        mention(3, "online abuse again", created_at="2026-03-03T09:00:00Z", sentiment=-0.4),
        mention(4, "nothing to see", created_at="2026-03-03T10:00:00Z"),
        mention(5, "cut text…", hashtags=["AntiSocialMedia"], created_at="2026-03-03T11:00:00Z"),
    ]
    # The same posts stored into a database where the campaign already existed.
    # Post 5's hashtag is one its platform reported but its text does not show; it is known
    # because another campaign matched the post when it was stored.
    with Store.open(tmp_path / "reference.db") as reference:
        make_campaign(reference, "other", monitor=["cut text"])
        make_campaign(reference)
        reference.upsert_mentions(posts)
        expected = stored_rollup(reference.db.conn)
    make_campaign(store, "other", monitor=["cut text"])
    store.upsert_mentions(posts)
    make_campaign(store)
    result = store.rematch("antisocial")
    assert (result.received, result.matched) == (5, 4)
    assert stored_rollup(store.db.conn) == expected
    assert store.rematch("antisocial").matched == 0
    assert stored_rollup(store.db.conn) == expected

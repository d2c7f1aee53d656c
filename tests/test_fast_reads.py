"""The fast reads give exactly what the plain reads they replaced give, and their roll-ups stay exact through every change.

The plain reads (`*_scan`, `posts.page_scan`) count every match of a window; the fast ones read
the tone roll-up, the spans, a walk in descending audience, the daily roll-up, or the range
index. Compared here on
a generated demo database over several windows and filters, after every kind of change a match
can go through, and on scores placed exactly on the histogram's cut-offs.
"""

from __future__ import annotations

import random
import shutil
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from campaigns import clock
from campaigns.metrics import ROLLUP_SUMS, Filters
from campaigns.model import Campaign, Mention, Tracker, iso_utc
from campaigns.settings import Settings
from campaigns.store import Store
from campaigns.store.mentions import TONE_SLOT_COLUMNS, tone_slot_column
from campaigns.stream import PostQuery
from demo.data import load_demo

UNTIL = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("fast") / "demo.db"
    with Store.open(path) as store, clock.pinned(UNTIL):
        load_demo(store, Settings(db_path=path), seed=5, mentions=6000, days=30, campaigns=4, until=UNTIL)
        store.checkpoint()
    return path


@pytest.fixture
def demo(built, tmp_path):
    path = tmp_path / "copy.db"
    shutil.copy(built, path)
    with Store.open(path) as store:
        yield store


def windows(store: Store, campaign_id: int) -> list[Filters]:
    """The last 7 and 30 days, the campaign to date, a window in the middle, one on part-hours,
    each as a whole, for our side, and for one platform and the opposing side."""
    end = UNTIL
    spans = [(end - timedelta(days=7), end), (end - timedelta(days=30), end), (end - timedelta(days=400), end),
             (end - timedelta(days=20), end - timedelta(days=9)),
             (end - timedelta(days=25, minutes=17), end - timedelta(days=2, minutes=43))]
    found = []
    for start, finish in spans:
        for platforms, sides in (((), ()), ((), ("ours",)), (("x",), ("opposing",)), (("bluesky", "x"), ())):
            found.append(Filters(campaign_id, iso_utc(start), iso_utc(finish), platforms, sides))
    return found


def assert_fast_reads_are_plain(store: Store, limits=(15, 3)) -> int:
    """Every fast read equals its plain read on every window of every campaign; how many were compared."""
    compared = 0
    for campaign in store.campaigns():
        for filters in windows(store, campaign.id):
            assert store.reads.distinct_totals(filters) == store.reads.distinct_totals_scan(filters), filters
            fast, plain = store.reads.sentiment_histogram(filters), store.reads.sentiment_histogram_scan(filters)
            pd.testing.assert_frame_equal(fast, plain)
            for limit in limits:
                pd.testing.assert_frame_equal(store.reads.top_amplifiers(filters, limit),
                                              store.reads.top_amplifiers_scan(filters, limit))
            tracked = [t.value for t in campaign.trackers if t.kind == "hashtag"]
            for limit in (15, 2):
                pd.testing.assert_frame_equal(store.reads.top_hashtags(filters, tracked, limit),
                                              store.reads.top_hashtags_scan(filters, tracked, limit))
            for tz, bucket in (("Europe/London", "day"), ("UTC", "hour")):
                pd.testing.assert_frame_equal(store.reads.cumulative_potential_reach(filters, tz, bucket),
                                              store.reads.cumulative_potential_reach_scan(filters, tz, bucket))
            assert_listed_posts_are_plain(store, filters)
            compared += 1
    return compared


def assert_listed_posts_are_plain(store: Store, filters: Filters, limits=(10, 3)) -> None:
    """Top, most negative and most positive posts equal their plain reads, in order."""
    for limit in limits:
        pd.testing.assert_frame_equal(store.reads.top_posts(filters, limit), store.reads.top_posts_scan(filters, limit))
        for most in ("negative", "positive"):
            pd.testing.assert_frame_equal(store.reads.extreme_posts(filters, most, limit),
                                          store.reads.extreme_posts_scan(filters, most, limit))


def recount(store: Store) -> tuple[dict, dict]:
    """tone_slots and spans counted again from the matches, in Python, by their definitions."""
    tone: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    spans: dict[tuple, list] = {}
    for campaign_id, created, platform, side, sentiment, author, key, value in store.conn.execute(
            "SELECT campaign_id, created_at, platform, side, sentiment, author_key, reach_key, reach_value"
            " FROM mention_matches"):
        if sentiment is not None:
            slot = min(int((sentiment + 1.0) / 0.1), 19)
            cls = "negative" if sentiment <= -0.05 else "positive" if sentiment >= 0.05 else "neutral"
            tone[(campaign_id, created[:13] + ":00:00Z", platform, side)][f"{cls}_{slot:02d}"] += 1
        if author is not None:
            span = spans.setdefault((campaign_id, author, side), [None] * 6 + [0])
            span[0] = min(span[0] or created, created)
            span[1] = max(span[1] or created, created)
        if key is not None and value is not None:
            span = spans.setdefault((campaign_id, key, side), [None] * 6 + [0])
            span[2] = min(span[2] or created, created)
            span[3] = max(span[3] or created, created)
            if span[4] is None or value > span[4]:
                span[4], span[5] = value, created
            elif value == span[4]:
                span[5] = max(span[5], created)
            span[6] += author == key
    return ({k: dict(v) for k, v in tone.items()}, {k: tuple(v) for k, v in spans.items()})


def stored(store: Store) -> tuple[dict, dict]:
    tone = {}
    for row in store.conn.execute(f"SELECT campaign_id, hour, platform, side, {', '.join(TONE_SLOT_COLUMNS)} "
                                  "FROM tone_slots"):
        counts = {name: value for name, value in zip(TONE_SLOT_COLUMNS, row[4:], strict=True) if value}
        if counts:
            tone[tuple(row[:4])] = counts
    spans = {tuple(row[:3]): tuple(row[3:]) for row in store.conn.execute(
        "SELECT campaign_id, key, side, author_first, author_last, audience_first, audience_last,"
        " max_value, max_at, own_posts FROM spans")}
    return tone, spans


def daily(store: Store, table: str = "daily") -> dict:
    """The roll-up per UTC day: the daily table, or the hourly one summed by day."""
    column = "day" if table == "daily" else "substr(hour, 1, 10) || 'T00:00:00Z'"
    sums = ", ".join(f"sum({c})" for c in ROLLUP_SUMS if c != "sentiment_sum")
    return {tuple(row[:4]): (tuple(row[4:-1]), round(row[-1], 6)) for row in store.conn.execute(
        f"SELECT campaign_id, {column}, platform, side, {sums}, sum(sentiment_sum) FROM {table}"
        " GROUP BY 1, 2, 3, 4 HAVING count(*) > 0")}


def hashtag_days(store: Store, table: str = "hashtag_days") -> dict:
    """Posts per campaign, UTC day, tag, platform and side: the roll-up, or the matches joined to their tags."""
    if table == "hashtag_days":
        sql = "SELECT campaign_id, day, tag, platform, side, posts FROM hashtag_days WHERE posts != 0"
    else:
        sql = ("SELECT mm.campaign_id, substr(mm.created_at, 1, 10) || 'T00:00:00Z', h.tag, mm.platform, mm.side,"
               " count(*) FROM mention_hashtags h JOIN mention_matches mm ON mm.mention_uid = h.mention_uid"
               " AND mm.campaign_id = h.campaign_id GROUP BY 1, 2, 3, 4, 5")
    return {tuple(row[:5]): row[5] for row in store.conn.execute(sql)}


def assert_rollups_exact(store: Store) -> None:
    expected_tone, expected_spans = recount(store)
    tone, spans = stored(store)
    assert tone == expected_tone
    assert spans == expected_spans
    assert hashtag_days(store) == hashtag_days(store, "matches")
    # A match's tags go with it.
    assert not store.conn.execute("SELECT count(*) FROM mention_hashtags h WHERE NOT EXISTS (SELECT 1 FROM"
                                  " mention_matches mm WHERE mm.mention_uid = h.mention_uid"
                                  " AND mm.campaign_id = h.campaign_id)").fetchone()[0]
    assert {k: v for k, v in daily(store).items() if any(v[0])} == \
        {k: v for k, v in daily(store, "hourly").items() if any(v[0])}


def test_fast_reads_equal_the_plain_reads_on_the_demo(demo):
    assert assert_fast_reads_are_plain(demo) == 4 * 20
    assert_rollups_exact(demo)


def test_the_roll_ups_stay_exact_through_every_change_a_match_goes_through(demo):
    rng = random.Random(3)
    rows = demo.conn.execute("SELECT mention_uid, campaign_id, reach_value FROM mention_matches").fetchall()
    with demo.conn:
        # What the store's other writers do to a match: new follower counts, a corrected side or
        # tone, a purged author, a match taken out of the counts.
        for uid, campaign_id, value in rng.sample(rows, 600):
            roll = rng.random()
            if roll < 0.3:
                demo.conn.execute(
                    "UPDATE mention_matches SET reach_value = ? WHERE mention_uid = ? AND campaign_id = ?",
                    [rng.choice([None, 0, 7, 10**6, (value or 0) // 2, (value or 0) + 1]), uid, campaign_id])
            elif roll < 0.5:
                demo.conn.execute(
                    "UPDATE mention_matches SET side = ?, sentiment = ? WHERE mention_uid = ? AND campaign_id = ?",
                    [rng.choice(["ours", "opposing", "monitor"]), rng.choice([None, -1.0, -0.05, 0.0, 0.05, 1.0]),
                     uid, campaign_id])
            elif roll < 0.8:
                demo.conn.execute(
                    "UPDATE mention_matches SET reach_key = CASE WHEN reach_key = author_key THEN NULL"
                    " ELSE reach_key END, author_key = NULL WHERE mention_uid = ?", [uid])
            else:
                demo.conn.execute("DELETE FROM mention_matches WHERE mention_uid = ? AND campaign_id = ?",
                                  [uid, campaign_id])
    assert_rollups_exact(demo)
    assert_fast_reads_are_plain(demo, limits=(15,))


def test_the_roll_ups_follow_purges_forgetting_and_a_deleted_campaign(demo):
    busiest = demo.conn.execute("SELECT author_key FROM mention_matches WHERE author_key IS NOT NULL"
                                " GROUP BY author_key ORDER BY count(*) DESC LIMIT 2").fetchall()
    demo.forget_author(busiest[0][0], from_counts=True)
    demo.forget_author(busiest[1][0])
    assert_rollups_exact(demo)
    campaign = demo.campaigns()[1]
    campaign.retention_days = 10
    demo.save_campaign(campaign)
    with clock.pinned(UNTIL):
        assert demo.purge(vacuum=False).mentions > 0
    assert_rollups_exact(demo)
    with demo.conn:
        demo.conn.execute("DELETE FROM campaigns WHERE id = ?", [demo.campaigns()[2].id])
    assert_rollups_exact(demo)
    assert not demo.conn.execute("SELECT count(*) FROM spans WHERE campaign_id = ?", [3]).fetchone()[0]


def test_storing_posts_again_with_new_counts_moves_the_roll_ups(demo):
    stored_again = []
    for row in demo.conn.execute(
            "SELECT uid, platform, native_id, created_at, text, author_key, author_followers, audience_key,"
            " audience_size, sentiment, abuse FROM mentions WHERE is_repost = 0 LIMIT 300"):
        uid, platform, native_id, created, text, author, followers, audience, size, sentiment, abuse = row
        stored_again.append(Mention(
            platform=platform, native_id=native_id, created_at=created, text=text, author_key=author,
            author_followers=None if followers is None else followers // 3, audience_key=audience,
            audience_size=size, sentiment=None if sentiment is None else -sentiment, abuse=abuse, likes=1))
    demo.upsert_mentions(stored_again, is_demo=True)
    assert_rollups_exact(demo)
    assert_fast_reads_are_plain(demo, limits=(15,))


def test_a_database_from_before_the_roll_ups_gets_them_counted_by_the_migration(built, tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(built, path)
    with Store.open(path) as store:
        expected = stored(store)
        conn = store.conn
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"
                                    " AND name LIKE 'mention_matches_rollups%'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TRIGGER hourly_daily_insert")
        conn.execute("DROP TRIGGER hourly_daily_update")
        conn.execute("DROP TRIGGER hourly_daily_delete")
        conn.execute("DROP TABLE tone_slots")
        conn.execute("DROP TABLE spans")
        conn.execute("DROP TABLE daily")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0013_tone_slots'")
        conn.commit()
    with Store.open(path) as store:
        assert store.applied_migrations == ["0013_tone_slots"]
        assert stored(store) == expected
        assert_rollups_exact(store)


def test_a_database_from_before_the_hashtag_days_gets_them_counted_by_the_migration(built, tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(built, path)
    with Store.open(path) as store:
        expected = hashtag_days(store)
        assert expected
        conn = store.conn
        for name in ("mention_matches_hashtags_delete", "mention_matches_hashtags_update", "mention_hashtags_delete"):
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("DROP TABLE hashtag_days")
        # A tag row left behind by a match deleted before the triggers: the migration drops it.
        uid, campaign_id = conn.execute("SELECT mention_uid, campaign_id FROM mention_hashtags LIMIT 1").fetchone()
        conn.execute("DELETE FROM mention_matches WHERE mention_uid = ? AND campaign_id = ?", [uid, campaign_id])
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0014_hashtag_days'")
        conn.commit()
    with Store.open(path) as store:
        assert store.applied_migrations == ["0014_hashtag_days"]
        assert_rollups_exact(store)
        assert sum(hashtag_days(store).values()) < sum(expected.values())


@pytest.fixture
def scored(store):
    """A campaign whose posts sit on the tone histogram's cut-offs and slice edges, with ties of audience."""
    campaign = store.save_campaign(Campaign(slug="edges", name="Edges", starts_at="2026-03-01",
                                            trackers=[Tracker("hashtag", "e", "ours")]))
    edges = [-1.0, -0.95, -0.9, -0.10000000000000003, -0.1, -0.09999999999999998, -0.05, -0.04999999999999999,
             -0.0, 0.0, 1e-17, 0.04999999999999999, 0.05, 0.05000000000000001, 0.1, 0.5, 0.8999999999999999,
             0.9, 0.95, 0.9999999999999999, 1.0]
    edges += [round(-1 + k / 10, 12) + d for k in range(21) for d in (-1e-15, 0.0, 1e-15)]
    mentions = []
    for n, score in enumerate(edges):
        mentions.append(Mention(
            platform="x", native_id=str(n), created_at=f"2026-03-0{1 + n % 7}T{n % 24:02d}:{n % 60:02d}:00Z",
            text=f"edge {n} #e", author_key=f"author{n % 9}", author_followers=500 if n % 3 else 900,
            sentiment=score, likes=n, reposts=0, replies=0, quotes=0))
    store.upsert_mentions(mentions)
    return campaign, edges


def test_the_tone_roll_up_cuts_scores_exactly_where_the_histogram_does(store, scored):
    campaign, edges = scored
    sql = {score: store.conn.execute("SELECT min(CAST((? + 1.0) / 0.1 AS INTEGER), 19)", [score]).fetchone()[0]
           for score in edges}
    for score in edges:
        column = tone_slot_column(score)
        assert column is not None and int(column[-2:]) == sql[score], score
    for start, end in (("2026-03-01T00:00:00Z", "2026-03-09T00:00:00Z"),
                       ("2026-03-02T05:30:00Z", "2026-03-06T17:10:00Z"),
                       ("2026-03-03T10:00:00Z", "2026-03-03T10:40:00Z")):
        for sides in ((), ("ours",), ("opposing",)):
            filters = Filters(campaign.id, start, end, (), sides)
            pd.testing.assert_frame_equal(store.reads.sentiment_histogram(filters),
                                          store.reads.sentiment_histogram_scan(filters))
    whole = store.reads.sentiment_histogram(Filters(campaign.id, "2026-03-01T00:00:00Z", "2026-03-09T00:00:00Z"))
    assert whole["posts"].sum() == len(edges)


def test_amplifiers_tied_on_audience_and_posts_come_in_name_order_as_the_plain_read_has_them(store, scored):
    campaign, _ = scored
    filters = Filters(campaign.id, "2026-03-01T00:00:00Z", "2026-03-09T00:00:00Z")
    for limit in (1, 2, 3, 4, 8, 9, 20):
        fast = store.reads.top_amplifiers(filters, limit)
        pd.testing.assert_frame_equal(fast, store.reads.top_amplifiers_scan(filters, limit))
    assert list(store.reads.top_amplifiers(filters, 3)["author_key"]) == ["author0", "author3", "author6"]


def post_queries(store: Store, campaign) -> list[PostQuery]:
    hashtag = next(t.id for t in campaign.trackers if t.kind == "hashtag")
    queries = []
    for filters in windows(store, campaign.id)[::3]:
        queries += [
            PostQuery(filters), PostQuery(filters, page=2, per_page=7), PostQuery(filters, page=400),
            PostQuery(filters, tone="negative"), PostQuery(filters, tone="neutral", kind="repost"),
            PostQuery(filters, min_offensive=0.5), PostQuery(filters, lang="en", kind="original"),
            PostQuery(filters, tracker_id=hashtag), PostQuery(filters, search="abuse"),
            PostQuery(filters, search="welfare", page=2, per_page=3), PostQuery(filters, search="#lovesus"),
            PostQuery(filters, search='"online abuse" -officers', lang="en"), PostQuery(filters, search="nowhere"),
            PostQuery(filters, search="kind*", tone="positive", tracker_id=hashtag),
            PostQuery(filters, search="abuse", page=9, per_page=11),
        ]
    return queries


@pytest.mark.parametrize("walk", [20_000, 0])
def test_the_posts_stream_gives_the_plain_join_s_pages_and_totals(demo, walk, monkeypatch):
    """Every query, with a search's page found by the walk newest first and by the hits' times."""
    monkeypatch.setattr("campaigns.store.posts.WALK_AT_MOST", walk)
    compared = 0
    for campaign in demo.campaigns()[:2]:
        for query in post_queries(demo, campaign):
            fast, total = demo.posts.page(query)
            plain, plain_total = demo.posts.page_scan(query)
            assert total == plain_total, query
            pd.testing.assert_frame_equal(fast, plain)
            compared += 1
    assert compared == 2 * 7 * 15


def test_a_search_finds_reposts_stored_before_their_original_and_languages_reported_later(store):
    """The match's copy of its post's search rowid and language follows the post: a repost stored
    before the post it repeats, one whose original is named only when seen again, a language
    reported on a later sighting."""
    campaign = store.save_campaign(Campaign(slug="late", name="Late", starts_at="2026-03-01",
                                            trackers=[Tracker("hashtag", "late", "ours")]))

    def post(n: int, text: str, **more) -> Mention:
        return Mention(platform="bluesky", native_id=str(n), created_at=f"2026-03-02T10:{n:02d}:00Z", text=text,
                       author_key=f"a{n}", likes=0, reposts=0, replies=0, quotes=0, **more)

    original = post(1, "the harbour wall #late")
    store.upsert_mentions([post(2, "the harbour wall #late", is_repost=True, reposted_uid=original.uid),
                           post(3, "a repost named later #late", is_repost=True)])
    store.upsert_mentions([original, post(4, "a harbour of words #late", lang=None)])
    store.upsert_mentions([post(3, "a repost named later #late", is_repost=True, reposted_uid=original.uid),
                           post(4, "a harbour of words #late", lang="cy")])
    filters = Filters(campaign.id, "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z")
    for query in (PostQuery(filters, search="harbour"), PostQuery(filters, search='"harbour wall"', per_page=1),
                  PostQuery(filters, search="harbour", page=2, per_page=2), PostQuery(filters, lang="cy"),
                  PostQuery(filters, search="harbour", lang="cy"), PostQuery(filters, search="nothing")):
        fast, total = store.posts.page(query)
        plain, plain_total = store.posts.page_scan(query)
        assert total == plain_total, query
        pd.testing.assert_frame_equal(fast, plain)
    assert store.posts.page(PostQuery(filters, search='"harbour wall"'))[1] == 3
    assert store.posts.page(PostQuery(filters, lang="cy"))[1] == 1


def test_a_database_from_before_the_match_search_columns_gets_them_by_the_migration(built, tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(built, path)
    with Store.open(path) as store:
        expected = store.conn.execute("SELECT mention_uid, campaign_id, lang, text_rowid FROM mention_matches"
                                      " ORDER BY 1, 2").fetchall()
        assert any(row[3] is not None for row in expected)
        conn = store.conn
        # 0017_index_by_batch dropped the first of 0015's triggers again; it runs after 0015.
        for name in ("mentions_matches_text_insert", "mentions_matches_lang", "mentions_matches_reposted"):
            conn.execute(f"DROP TRIGGER IF EXISTS {name}")
        conn.execute("DROP INDEX mention_matches_range")
        conn.execute("CREATE INDEX mention_matches_range ON mention_matches (campaign_id, created_at)")
        conn.execute("ALTER TABLE mention_matches DROP COLUMN lang")
        conn.execute("ALTER TABLE mention_matches DROP COLUMN text_rowid")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name IN ('0015_match_search', '0017_index_by_batch')")
        conn.commit()
    with Store.open(path) as store:
        assert store.applied_migrations == ["0015_match_search", "0017_index_by_batch"]
        assert store.conn.execute("SELECT mention_uid, campaign_id, lang, text_rowid FROM mention_matches"
                                  " ORDER BY 1, 2").fetchall() == expected


def test_corrections_of_tone_and_side_move_the_roll_ups(demo):
    rows = demo.conn.execute("SELECT mention_uid, campaign_id FROM mention_matches ORDER BY mention_uid LIMIT 90").fetchall()
    for n, (uid, campaign_id) in enumerate(rows):
        if n % 2:
            demo.correct(uid, campaign_id, "tone", ("positive", "negative", "neutral")[n % 3], who="reviewer")
        else:
            demo.correct(uid, campaign_id, "side", ("opposing", "ours", "monitor")[n % 3], who="reviewer")
    assert_rollups_exact(demo)
    assert_fast_reads_are_plain(demo, limits=(15,))


def test_sums_over_whole_days_come_from_the_daily_roll_up_and_equal_the_hours(demo):
    campaign = demo.campaigns()[0]
    rows = demo.conn.execute("SELECT count(*), sum(mentions) FROM daily WHERE campaign_id = ?",
                             [campaign.id]).fetchone()
    assert rows[0] > 0 and rows[1] == demo.reads.campaign_totals(campaign.id)
    for filters in windows(demo, campaign.id):
        kpis = demo.reads.kpis(filters)
        where, params = filters.where()
        assert kpis.mentions == demo.conn.execute(f"SELECT count(*) FROM mention_matches WHERE {where}",
                                                  params).fetchone()[0]
        for tz in ("UTC", "Europe/London", "Asia/Kolkata"):
            series = demo.reads.series(filters, tz, "day", ("side",))
            assert series["mentions"].sum() == kpis.mentions


@pytest.fixture
def tied(store):
    """A campaign whose posts tie on tone, engagement and time, on and beside the candidate
    indexes' bounds (a tone of exactly 0.5 either way, 100 engagement, unknown engagement, no
    score), with reposts that never count, over three days."""
    campaign = store.save_campaign(Campaign(slug="ties", name="Ties", starts_at="2026-03-01",
                                            trackers=[Tracker("hashtag", "t", "ours"), Tracker("hashtag", "o", "opposing")]))
    tones = [-1.0, -0.9, -0.5, -0.5000000000000001, -0.49999999999999994, -0.2, 0.0, None, 0.3, 0.49999999999999994,
             0.5, 0.9, 1.0]
    engagements = [None, 0, 7, 99, 100, 101, 250, 250]
    mentions = []
    for n in range(420):
        engagement = engagements[n % len(engagements)]
        counts = ({"likes": None, "reposts": None, "replies": None, "quotes": None} if engagement is None
                  else {"likes": engagement, "reposts": 0, "replies": 0, "quotes": 0})
        # Five posts share each instant; the first two days are busy, the third has a handful.
        at = f"2026-03-0{1 + n // 200}T{(n // 5) % 24:02d}:{(n // 120) % 60:02d}:00Z"
        mentions.append(Mention(
            platform=("x", "bluesky")[n % 2], native_id=f"{n:04d}", created_at=at,
            text=f"tied {n} {'#t' if n % 3 else '#o'}", author_key=f"author{n % 11}", author_followers=100,
            sentiment=tones[n % len(tones)], is_repost=n % 17 == 0, **counts))
    store.upsert_mentions(mentions)
    return campaign


def tied_windows(campaign) -> list[Filters]:
    found = []
    for start, end in (("2026-03-01T00:00:00Z", "2026-03-04T00:00:00Z"), ("2026-03-01T05:00:00Z", "2026-03-02T05:00:00Z"),
                       ("2026-03-03T00:00:00Z", "2026-03-04T00:00:00Z"), ("2026-03-01T03:00:00Z", "2026-03-01T03:05:00Z"),
                       ("2026-03-05T00:00:00Z", "2026-03-06T00:00:00Z")):
        for platforms, sides in (((), ()), ((), ("opposing",)), (("bluesky",), ("ours",))):
            found.append(Filters(campaign.id, start, end, platforms, sides))
    return found


@pytest.mark.parametrize("walk", [10_000, 40, 0])
def test_listed_posts_walked_from_their_candidates_are_the_plain_read_s_ties_and_all(store, tied, walk, monkeypatch):
    """Both ways happen: the walk answers where the window holds enough candidates among the
    first `walk`, the window's own matches elsewhere; the lists are the plain read's either way."""
    monkeypatch.setattr("campaigns.store.reads.CANDIDATE_WALK", walk)
    answered = {True: 0, False: 0}
    for filters in tied_windows(tied):
        for limit in (1, 5, 10, 40):
            assert_listed_posts_are_plain(store, filters, limits=(limit,))
            for index in ("mention_matches_engaged", "mention_matches_negative", "mention_matches_positive"):
                answered[store.reads._candidates(filters, index, limit) is not None] += 1
    if walk:
        assert answered[True] and answered[False]
    else:
        assert not answered[True]


def test_tied_posts_come_most_engaged_then_newest_then_by_uid(store, tied):
    filters = Filters(tied.id, "2026-03-01T00:00:00Z", "2026-03-04T00:00:00Z")
    rows = store.conn.execute(
        "SELECT mention_uid, sentiment, engagement, created_at FROM mention_matches WHERE campaign_id = ?"
        " AND is_repost = 0", [tied.id]).fetchall()
    def most(sign):
        return sorted((r for r in rows if r[1] is not None),
                      key=lambda r: (sign * r[1], -(r[2] if r[2] is not None else -1), tuple(-ord(c) for c in r[3]), r[0]))
    expected_top = sorted(rows, key=lambda r: (-(r[2] if r[2] is not None else -1), tuple(-ord(c) for c in r[3]), r[0]))
    assert list(store.reads.top_posts(filters, 25)["uid"]) == [r[0] for r in expected_top[:25]]
    assert list(store.reads.extreme_posts(filters, "negative", 25)["uid"]) == [r[0] for r in most(1)[:25]]
    assert list(store.reads.extreme_posts(filters, "positive", 25)["uid"]) == [r[0] for r in most(-1)[:25]]
    assert store.reads._candidates(filters, "mention_matches_negative", 25) is not None


def test_a_tone_corrected_or_engagement_counted_again_moves_a_post_in_and_out_of_the_candidates(store, tied):
    filters = Filters(tied.id, "2026-03-01T00:00:00Z", "2026-03-04T00:00:00Z")
    quiet = store.conn.execute("SELECT mention_uid FROM mention_matches WHERE campaign_id = ? AND is_repost = 0"
                               " AND sentiment = 0.0 ORDER BY mention_uid LIMIT 1", [tied.id]).fetchone()[0]
    store.correct(quiet, tied.id, "tone", "negative", who="reviewer")
    store.correct(quiet, tied.id, "tone", "positive", who="reviewer")
    with store.conn:
        store.conn.execute("UPDATE mention_matches SET engagement = 10000 WHERE mention_uid = ?", [quiet])
    assert store.reads.top_posts(filters, 1)["uid"].tolist() == [quiet]
    for limit in (1, 10):
        assert_listed_posts_are_plain(store, filters, limits=(limit,))


def test_a_database_from_before_the_candidate_indexes_gets_them_by_the_migration(built, tmp_path):
    path = tmp_path / "old.db"
    shutil.copy(built, path)
    with Store.open(path) as store:
        for name in ("mention_matches_negative", "mention_matches_positive", "mention_matches_engaged"):
            store.conn.execute(f"DROP INDEX {name}")
        store.conn.execute("DELETE FROM _sqlite_migrations WHERE name = '0018_post_candidates'")
        store.conn.commit()
    with Store.open(path) as store:
        assert store.applied_migrations == ["0018_post_candidates"]
        campaign = store.campaigns()[0]
        for filters in windows(store, campaign.id)[:8]:
            assert_listed_posts_are_plain(store, filters)


@pytest.mark.parametrize("odd_name", ["plain", "unit\x1fseparator"])
def test_cumulative_reach_takes_an_audience_on_both_sides_once_at_its_largest(store, odd_name):
    """An audience seen on both sides has a span per side: counted once, from the side it was
    seen on first, at the larger of its sizes; a name holding the separator the spans are read
    with is grouped by SQLite instead, to the same answer."""
    campaign = store.save_campaign(Campaign(slug="both", name="Both", starts_at="2026-03-01",
                                            trackers=[Tracker("hashtag", "ours", "ours"),
                                                      Tracker("hashtag", "theirs", "opposing")]))
    posts = [("alice", "#theirs", "2026-03-02T10:00:00Z", 500), ("alice", "#ours", "2026-03-04T10:00:00Z", 900),
             ("bob", "#ours", "2026-03-03T09:00:00Z", 40), (odd_name, "#theirs", "2026-03-01T08:00:00Z", 70),
             (odd_name, "#ours", "2026-03-05T08:00:00Z", 60), ("carol", "#theirs", "2026-03-02T12:00:00Z", 5)]
    store.upsert_mentions([Mention(platform="x", native_id=str(n), created_at=at, text=f"post {n} {tag}",
                                   author_key=author, author_followers=followers, likes=0, reposts=0, replies=0,
                                   quotes=0) for n, (author, tag, at, followers) in enumerate(posts)])
    for start in ("2026-03-01T00:00:00Z", "2026-03-02T11:00:00Z"):
        for sides in ((), ("ours",), ("ours", "opposing")):
            filters = Filters(campaign.id, start, "2026-03-06T00:00:00Z", (), sides)
            for tz, bucket in (("UTC", "day"), ("Europe/London", "hour")):
                pd.testing.assert_frame_equal(store.reads.cumulative_potential_reach(filters, tz, bucket),
                                              store.reads.cumulative_potential_reach_scan(filters, tz, bucket))
    whole = store.reads.cumulative_potential_reach(Filters(campaign.id, "2026-03-01T00:00:00Z", "2026-03-06T00:00:00Z"))
    assert whole["potential_reach"].tolist() == [70, 70 + 900 + 5, 975 + 40, 1015, 1015]

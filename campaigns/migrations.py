"""Every schema change, numbered and applied in order when a database is opened."""

from sqlite_utils import Migrations

migrations = Migrations("groundswell")


@migrations(name="0001_core")
def core(db):
    """Campaigns, trackers, mentions and their matches, the hourly roll-up, runs and cursors."""
    db.executescript(
        """
        CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'active',
            starts_at TEXT NOT NULL,
            ends_at TEXT,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            goal_mentions INTEGER,
            goal_reach INTEGER,
            retention_days INTEGER,
            platforms TEXT NOT NULL DEFAULT '[]',
            exclude TEXT NOT NULL DEFAULT '[]',
            feeds TEXT NOT NULL DEFAULT '[]',
            is_demo INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE trackers (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            value TEXT NOT NULL,
            side TEXT NOT NULL,
            position INTEGER NOT NULL DEFAULT 0,
            UNIQUE (campaign_id, kind, value, side)
        );
        CREATE TABLE mentions (
            uid TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            native_id TEXT NOT NULL,
            url TEXT,
            created_at TEXT NOT NULL,
            collected_at TEXT NOT NULL,
            author_key TEXT,
            author_followers INTEGER,
            audience_key TEXT,
            audience_size INTEGER,
            text TEXT,
            lang TEXT,
            is_repost INTEGER NOT NULL DEFAULT 0,
            reposted_uid TEXT,
            reply_to_uid TEXT,
            likes INTEGER,
            reposts INTEGER,
            replies INTEGER,
            quotes INTEGER,
            impressions INTEGER,
            engagement INTEGER NOT NULL DEFAULT 0,
            sentiment REAL,
            abuse REAL,
            raw_ref TEXT,
            is_demo INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX mentions_created_at ON mentions (created_at);
        CREATE INDEX mentions_reposted_uid ON mentions (reposted_uid) WHERE reposted_uid IS NOT NULL;

        -- One row per (mention, campaign), denormalised so every range query stays on an index.
        CREATE TABLE mention_matches (
            mention_uid TEXT NOT NULL REFERENCES mentions(uid) ON DELETE CASCADE,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            side TEXT NOT NULL,
            platform TEXT NOT NULL,
            created_at TEXT NOT NULL,
            author_key TEXT,
            reach_key TEXT,
            reach_value INTEGER,
            is_repost INTEGER NOT NULL DEFAULT 0,
            engagement INTEGER NOT NULL DEFAULT 0,
            sentiment REAL,
            abuse REAL,
            PRIMARY KEY (mention_uid, campaign_id)
        );
        -- Covering index for distinct authors and potential reach over any range.
        CREATE INDEX mention_matches_range ON mention_matches
            (campaign_id, created_at, side, platform, reach_key, reach_value, author_key);
        CREATE TABLE mention_trackers (
            tracker_id INTEGER NOT NULL REFERENCES trackers(id) ON DELETE CASCADE,
            mention_uid TEXT NOT NULL,
            campaign_id INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (tracker_id, mention_uid)
        );
        CREATE INDEX mention_trackers_range ON mention_trackers (tracker_id, created_at);
        CREATE TABLE mention_hashtags (
            mention_uid TEXT NOT NULL,
            campaign_id INTEGER NOT NULL,
            tag TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (campaign_id, mention_uid, tag)
        );
        CREATE INDEX mention_hashtags_range ON mention_hashtags (campaign_id, created_at, tag);

        -- Counts and sums per hour, kept up to date at ingest; distinct counts are not here
        -- because they do not add up across hours.
        CREATE TABLE hourly (
            campaign_id INTEGER NOT NULL,
            hour TEXT NOT NULL,
            platform TEXT NOT NULL,
            side TEXT NOT NULL,
            mentions INTEGER NOT NULL DEFAULT 0,
            reposts INTEGER NOT NULL DEFAULT 0,
            engagement INTEGER NOT NULL DEFAULT 0,
            sentiment_sum REAL NOT NULL DEFAULT 0,
            scored INTEGER NOT NULL DEFAULT 0,
            pos INTEGER NOT NULL DEFAULT 0,
            neg INTEGER NOT NULL DEFAULT 0,
            neu INTEGER NOT NULL DEFAULT 0,
            abusive INTEGER NOT NULL DEFAULT 0,
            impressions INTEGER NOT NULL DEFAULT 0,
            impressions_known INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (campaign_id, hour, platform, side)
        ) WITHOUT ROWID;

        CREATE TABLE raw_items (
            id INTEGER PRIMARY KEY,
            collector TEXT NOT NULL,
            version TEXT,
            query TEXT,
            retrieved_at TEXT NOT NULL,
            payload TEXT NOT NULL
        );
        CREATE TABLE collection_runs (
            id INTEGER PRIMARY KEY,
            collector TEXT NOT NULL,
            campaign_id INTEGER,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            fetched INTEGER NOT NULL DEFAULT 0,
            new INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL DEFAULT 'running',
            error TEXT,
            cost_units INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX collection_runs_collector ON collection_runs (collector, started_at);
        CREATE TABLE cursors (
            collector TEXT NOT NULL,
            scope TEXT NOT NULL,
            since_id TEXT,
            cursor TEXT,
            last_seen_at TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (collector, scope)
        );
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            at TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            acknowledged_at TEXT,
            UNIQUE (campaign_id, kind, at)
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            who TEXT NOT NULL,
            what TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        );
        """
    )

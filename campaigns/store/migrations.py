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


@migrations(name="0002_collectors")
def collectors(db):
    """What collectors remember between runs: paid usage per month, source state, author profiles."""
    db.executescript(
        """
        -- Units a source charged per calendar month (X: posts read), checked against a budget.
        CREATE TABLE source_usage (
            collector TEXT NOT NULL,
            month TEXT NOT NULL,
            units INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (collector, month)
        );
        -- The last thing a source said about itself: rate limited until, budget reached, skipped.
        CREATE TABLE source_state (
            collector TEXT PRIMARY KEY,
            rate_limited_until TEXT,
            note TEXT,
            updated_at TEXT NOT NULL
        );
        -- Follower counts of authors, cached so each is looked up once a day, not once a post.
        CREATE TABLE author_profiles (
            platform TEXT NOT NULL,
            author_id TEXT NOT NULL,
            handle TEXT,
            followers INTEGER,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (platform, author_id)
        );
        """
    )


@migrations(name="0003_planner")
def planner(db):
    """Narratives, calls to action with message variants, events with needs, volunteers with
    handles, assignments, demands and their dated updates."""
    db.executescript(
        """
        CREATE TABLE narratives (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            side TEXT NOT NULL,
            claim TEXT NOT NULL,
            frame TEXT NOT NULL DEFAULT '',
            keywords TEXT NOT NULL DEFAULT '[]',
            first_seen TEXT,
            risk TEXT NOT NULL DEFAULT 'medium',
            decision TEXT NOT NULL DEFAULT 'monitor',
            counters_id INTEGER REFERENCES narratives(id) ON DELETE SET NULL,
            notes TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX narratives_campaign ON narratives (campaign_id, side);
        -- Which trackers measure a narrative, so its traction over time is the trackers' series.
        CREATE TABLE narrative_trackers (
            narrative_id INTEGER NOT NULL REFERENCES narratives(id) ON DELETE CASCADE,
            tracker_id INTEGER NOT NULL REFERENCES trackers(id) ON DELETE CASCADE,
            PRIMARY KEY (narrative_id, tracker_id)
        );
        CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            title TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            starts_at TEXT NOT NULL,
            ends_at TEXT NOT NULL,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            location TEXT NOT NULL DEFAULT '',
            online_url TEXT NOT NULL DEFAULT '',
            capacity INTEGER,
            visibility TEXT NOT NULL DEFAULT 'public',
            status TEXT NOT NULL DEFAULT 'draft',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX events_campaign ON events (campaign_id, starts_at);
        CREATE TABLE event_needs (
            id INTEGER PRIMARY KEY,
            event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
            item TEXT NOT NULL,
            quantity INTEGER NOT NULL,
            pledged INTEGER NOT NULL DEFAULT 0,
            delivered INTEGER NOT NULL DEFAULT 0,
            position INTEGER NOT NULL DEFAULT 0,
            UNIQUE (event_id, item)
        );
        CREATE TABLE actions (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            narrative_id INTEGER REFERENCES narratives(id) ON DELETE SET NULL,
            event_id INTEGER REFERENCES events(id) ON DELETE SET NULL,
            kind TEXT NOT NULL,
            title TEXT NOT NULL,
            message TEXT NOT NULL DEFAULT '',
            hashtags TEXT NOT NULL DEFAULT '[]',
            channel TEXT NOT NULL DEFAULT '',
            link TEXT NOT NULL DEFAULT '',
            window_start TEXT NOT NULL,
            window_end TEXT NOT NULL,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            goal_count INTEGER,
            status TEXT NOT NULL DEFAULT 'draft',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX actions_campaign ON actions (campaign_id, window_start);
        -- Other wordings of an action's message, so volunteers' posts are not identical.
        CREATE TABLE action_variants (
            action_id INTEGER NOT NULL REFERENCES actions(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            message TEXT NOT NULL,
            PRIMARY KEY (action_id, position)
        );
        CREATE TABLE volunteers (
            id INTEGER PRIMARY KEY,
            display_name TEXT NOT NULL UNIQUE,
            contact TEXT NOT NULL DEFAULT '',
            timezone TEXT NOT NULL DEFAULT 'UTC',
            skills TEXT NOT NULL DEFAULT '[]',
            consent_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- A handle is kept only with consent; it lets a collected post mark an assignment done.
        CREATE TABLE volunteer_handles (
            volunteer_id INTEGER NOT NULL REFERENCES volunteers(id) ON DELETE CASCADE,
            platform TEXT NOT NULL,
            handle TEXT NOT NULL,
            PRIMARY KEY (volunteer_id, platform)
        );
        CREATE INDEX volunteer_handles_handle ON volunteer_handles (platform, handle);
        CREATE TABLE assignments (
            id INTEGER PRIMARY KEY,
            volunteer_id INTEGER NOT NULL REFERENCES volunteers(id) ON DELETE CASCADE,
            action_id INTEGER REFERENCES actions(id) ON DELETE CASCADE,
            event_id INTEGER REFERENCES events(id) ON DELETE CASCADE,
            role TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'invited',
            done_at TEXT,
            evidence_uid TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK ((action_id IS NULL) != (event_id IS NULL))
        );
        CREATE UNIQUE INDEX assignments_unique ON assignments
            (volunteer_id, coalesce(action_id, 0), coalesce(event_id, 0), role);
        CREATE INDEX assignments_action ON assignments (action_id) WHERE action_id IS NOT NULL;
        CREATE INDEX assignments_event ON assignments (event_id) WHERE event_id IS NOT NULL;
        CREATE TABLE demands (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            text TEXT NOT NULL,
            decision_maker TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'raised',
            due_at TEXT,
            review_on TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE demand_updates (
            id INTEGER PRIMARY KEY,
            demand_id INTEGER NOT NULL REFERENCES demands(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            status TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            source_url TEXT NOT NULL DEFAULT '',
            evidence_uid TEXT
        );
        CREATE INDEX demand_updates_demand ON demand_updates (demand_id, at);
        """
    )


@migrations(name="0004_window_indexes")
def window_indexes(db):
    """Indexes that keep every dashboard read on an index, short window or long.

    The range index now also holds what top posts, the most negative and positive posts and
    the sentiment histogram read, so a window scan never visits the table. Over a long window
    (most of a campaign's data), distinct authors and potential reach are cheaper to count in
    author or audience order, each value once, than by sorting a window's worth of rows:
    metrics.window_index() picks between them (at 1M mentions, 90 days: 45 -> 12 ms and 58 -> 18 ms).
    """
    db.executescript(
        """
        DROP INDEX mention_matches_range;
        CREATE INDEX mention_matches_range ON mention_matches
            (campaign_id, created_at, side, platform, reach_key, reach_value, author_key,
             is_repost, engagement, sentiment, abuse, mention_uid);
        CREATE INDEX mention_matches_authors ON mention_matches
            (campaign_id, author_key, created_at, side, platform);
        CREATE INDEX mention_matches_audiences ON mention_matches
            (campaign_id, reach_key, created_at, reach_value, side, platform);
        """
    )


@migrations(name="0005_collection_faults")
def collection_faults(db):
    """What collection needs to never fail silently.

    `quarantine` keeps each record that could not be mapped (a date that is not one, a count
    SQLite cannot hold, an account that is text), with where it was and why, once however often
    it is seen. Runs count the records they quarantined; `source_state` says how long a source
    is waiting, and why, while it waits.
    """
    db.executescript(
        """
        CREATE TABLE quarantine (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            run_id INTEGER REFERENCES collection_runs(id) ON DELETE SET NULL,
            location TEXT NOT NULL,
            field TEXT,
            value TEXT,
            reason TEXT NOT NULL,
            digest TEXT NOT NULL,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            times INTEGER NOT NULL DEFAULT 1,
            UNIQUE (source, digest)
        );
        CREATE INDEX quarantine_last_seen ON quarantine (last_seen_at);
        ALTER TABLE collection_runs ADD COLUMN quarantined INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE source_state ADD COLUMN waiting_until TEXT;
        ALTER TABLE source_state ADD COLUMN waiting_reason TEXT;
        """
    )


@migrations(name="0009_retention")
def retention(db):
    """Retention and forgetting: when a mention's personal columns were removed, how far each
    campaign has been purged, and (as digests) the authors who asked to be forgotten."""
    db.executescript(
        """
        ALTER TABLE mentions ADD COLUMN purged_at TEXT;
        ALTER TABLE campaigns ADD COLUMN purged_before TEXT;
        CREATE TABLE forgotten_authors (
            digest TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """
    )


@migrations(name="0010_users")
def users(db):
    """Dashboard accounts with roles and argon2 password hashes, and every login attempt (the
    failure limit per account and per address reads them)."""
    db.executescript(
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            volunteer_id INTEGER REFERENCES volunteers(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE login_attempts (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            name TEXT NOT NULL,
            address TEXT NOT NULL,
            ok INTEGER NOT NULL
        );
        CREATE INDEX login_attempts_name ON login_attempts (name, at);
        CREATE INDEX login_attempts_address ON login_attempts (address, at);
        """
    )


@migrations(name="0011_search")
def search(db):
    """Full-text search over post text: an FTS5 index kept by triggers inside the same
    transaction as every insert, update, purge or forget of a mention. Hashtags and @-handles
    stay whole tokens and accents fold. Only posts with words of their own are indexed: a
    repost's text is its original's, and the stream finds a repost through its original, so
    the index (and the cost of writing it) stays the size of what was actually said."""
    db.executescript(
        """
        CREATE VIRTUAL TABLE mentions_fts USING fts5(
            text, content='mentions', content_rowid='rowid', columnsize=0,
            tokenize="unicode61 remove_diacritics 2 tokenchars '#@_'"
        );
        CREATE TRIGGER mentions_fts_insert AFTER INSERT ON mentions
            WHEN new.text IS NOT NULL AND new.is_repost = 0 BEGIN
            INSERT INTO mentions_fts (rowid, text) VALUES (new.rowid, new.text);
        END;
        CREATE TRIGGER mentions_fts_update AFTER UPDATE OF text ON mentions
            WHEN old.text IS NOT new.text AND new.is_repost = 0 BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, text)
                SELECT 'delete', old.rowid, old.text WHERE old.text IS NOT NULL;
            INSERT INTO mentions_fts (rowid, text) SELECT new.rowid, new.text WHERE new.text IS NOT NULL;
        END;
        CREATE TRIGGER mentions_fts_delete AFTER DELETE ON mentions
            WHEN old.text IS NOT NULL AND old.is_repost = 0 BEGIN
            INSERT INTO mentions_fts (mentions_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
        END;
        INSERT INTO mentions_fts (rowid, text) SELECT rowid, text FROM mentions
            WHERE text IS NOT NULL AND is_repost = 0;
        """
    )


@migrations(name="0012_unknown_engagement")
def unknown_engagement(db):
    """Engagement is NULL where a post's counts are all unknown (a file without them, RSS), and
    the roll-up counts the posts whose engagement is known, so a window of such posts reads
    n/a rather than 0.

    Dropping a NOT NULL constraint changes nothing on disk, so it is done as SQLite documents
    for such changes (ALTER TABLE, "making other kinds of table schema changes"): the table's
    CREATE text is edited in place and the schema version moved on, in the migration's
    transaction, instead of copying tables of millions of rows. Every engagement stored so far
    is a number, so every post rolled up so far counts as known.
    """
    conn = db.conn
    before = "engagement INTEGER NOT NULL DEFAULT 0"
    version = conn.execute("PRAGMA schema_version").fetchone()[0]
    conn.execute("PRAGMA writable_schema = ON")
    try:
        for table in ("mentions", "mention_matches"):
            sql = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]).fetchone()[0]
            if sql.count(before) != 1:
                raise RuntimeError(f"unexpected schema of {table}: cannot make its engagement nullable")
            conn.execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                         [sql.replace(before, "engagement INTEGER"), table])
        conn.execute(f"PRAGMA schema_version = {version + 1}")
    finally:
        conn.execute("PRAGMA writable_schema = OFF")
    for table in ("mentions", "mention_matches"):
        if any(c[1] == "engagement" and c[3] for c in conn.execute(f"PRAGMA table_info({table})")):
            raise RuntimeError(f"{table}.engagement is still NOT NULL (is SQLite in defensive mode?)")
    conn.execute("ALTER TABLE hourly ADD COLUMN engagement_known INTEGER NOT NULL DEFAULT 0")
    conn.execute("UPDATE hourly SET engagement_known = mentions")


@migrations(name="0006_safety_and_corrections")
def safety_and_corrections(db):
    """The safety desk and people's corrections.

    Per campaign: an offensive-language threshold, a pile-on rule and signposting text (NULL
    means the default). Per match: the tone and verdict a person corrected, read by every
    upsert so storing a post again keeps them; the corrections themselves, with who, when, the
    value before and the scorer's own, in `corrections`. Which posts are aimed at which
    protected account, and how (reply, quote, @-mention; 'own' for the account's own posts, so
    replies to them are recognised), in `protected_mentions`. Audit rows name their campaign.
    Existing posts are filled in, and the roll-up's offensive count is recounted at the new
    default threshold.
    """
    from campaigns.store.safety import backfill

    db.executescript(
        """
        ALTER TABLE campaigns ADD COLUMN offensive_threshold REAL;
        ALTER TABLE campaigns ADD COLUMN pile_on_authors INTEGER;
        ALTER TABLE campaigns ADD COLUMN pile_on_minutes INTEGER;
        ALTER TABLE campaigns ADD COLUMN signposting TEXT NOT NULL DEFAULT '';
        ALTER TABLE mention_matches ADD COLUMN tone_fix TEXT;
        ALTER TABLE mention_matches ADD COLUMN verdict TEXT;
        ALTER TABLE audit_log ADD COLUMN campaign_id INTEGER;
        CREATE INDEX audit_log_campaign ON audit_log (campaign_id, at);
        CREATE TABLE corrections (
            id INTEGER PRIMARY KEY,
            mention_uid TEXT NOT NULL,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            field TEXT NOT NULL CHECK (field IN ('tone', 'side', 'verdict')),
            old_value TEXT,
            new_value TEXT NOT NULL,
            scorer_value TEXT,
            who TEXT NOT NULL,
            at TEXT NOT NULL,
            note TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX corrections_mention ON corrections (mention_uid, campaign_id, field);
        CREATE INDEX corrections_campaign ON corrections (campaign_id, at);
        CREATE TABLE protected_mentions (
            mention_uid TEXT NOT NULL,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            tracker_id INTEGER NOT NULL REFERENCES trackers(id) ON DELETE CASCADE,
            via TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (mention_uid, campaign_id, tracker_id)
        );
        CREATE INDEX protected_mentions_range ON protected_mentions (campaign_id, created_at, tracker_id, via);
        """
    )
    backfill(db.conn)


@migrations(name="0007_reports")
def reports(db):
    """Post-action reports: the figures drafted when an action's after-window closes, and the
    organiser's notes (the after-action review's five questions), one row per action, event or
    campaign. Rows go with the action or event they report on. Runs get an index by campaign and
    time, so a report finds the runs of its windows without reading every run."""
    db.executescript(
        """
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('action', 'event', 'campaign')),
            action_id INTEGER REFERENCES actions(id) ON DELETE CASCADE,
            event_id INTEGER REFERENCES events(id) ON DELETE CASCADE,
            windows TEXT NOT NULL DEFAULT '{}',
            metrics TEXT NOT NULL DEFAULT '{}',
            drafted_at TEXT,
            planned TEXT NOT NULL DEFAULT '',
            happened TEXT NOT NULL DEFAULT '',
            why_different TEXT NOT NULL DEFAULT '',
            keep TEXT NOT NULL DEFAULT '',
            change TEXT NOT NULL DEFAULT '',
            notes_updated_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            CHECK ((kind = 'action') = (action_id IS NOT NULL)),
            CHECK ((kind = 'event') = (event_id IS NOT NULL))
        );
        CREATE UNIQUE INDEX reports_subject ON reports
            (campaign_id, kind, coalesce(action_id, 0), coalesce(event_id, 0));
        CREATE INDEX collection_runs_campaign ON collection_runs (campaign_id, started_at);
        """
    )


# The unique constraint 0001 put on alerts (one per campaign, kind and second) would refuse two
# episodes of one kind that start in the same second (a spike on both sides in the same hour).
_ALERTS_MOMENT_UNIQUE = r",\s*UNIQUE\s*\(\s*campaign_id\s*,\s*kind\s*,\s*at\s*\)"


@migrations(name="0008_alerts_outbox")
def alerts_outbox(db):
    """Alerts stored once per episode, per-campaign alert rules and destinations, and the outbox
    that sends each (alert or reminder, destination) once."""
    import re

    columns = {column.name for column in db["alerts"].columns}
    for name in ("episode", "figures", "page", "raised_at", "acknowledged_by"):
        if name not in columns:
            db.execute(f"ALTER TABLE alerts ADD COLUMN {name} TEXT")
    schema = db["alerts"].schema
    if re.search(_ALERTS_MOMENT_UNIQUE, schema):
        referencing = [t.name for t in db.tables if any(fk.other_table == "alerts" for fk in t.foreign_keys)]
        if referencing:
            raise RuntimeError(f"alerts is referenced by {', '.join(referencing)}; rebuild it by hand")
        rebuilt = re.sub(_ALERTS_MOMENT_UNIQUE, "", schema, count=1)
        rebuilt = re.sub(r'^CREATE TABLE\s+("?)alerts\1', "CREATE TABLE alerts_rebuilt", rebuilt)
        indexes = [row[0] for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts' AND sql IS NOT NULL")]
        names = ", ".join(column.name for column in db["alerts"].columns)
        db.execute(rebuilt)
        db.execute(f"INSERT INTO alerts_rebuilt ({names}) SELECT {names} FROM alerts")
        db.execute("DROP TABLE alerts")
        db.execute("ALTER TABLE alerts_rebuilt RENAME TO alerts")
        for sql in indexes:
            db.execute(sql)
    db.executescript(
        """
        UPDATE alerts SET raised_at = at WHERE raised_at IS NULL;
        -- An episode (a spike's first hour, a failing streak's first run) is stored once; rows
        -- written without an episode key keep the old rule, one per campaign, kind and second.
        CREATE UNIQUE INDEX alerts_episode ON alerts (campaign_id, kind, episode) WHERE episode IS NOT NULL;
        CREATE UNIQUE INDEX alerts_moment ON alerts (campaign_id, kind, at) WHERE episode IS NULL;
        CREATE INDEX alerts_raised ON alerts (raised_at);
        -- Per-campaign thresholds; NULL means the default in campaigns.alert_settings.
        CREATE TABLE alert_rules (
            campaign_id INTEGER PRIMARY KEY REFERENCES campaigns(id) ON DELETE CASCADE,
            share_of_voice_below REAL,
            opposing_rate_factor REAL,
            tone_drop REAL,
            failing_runs INTEGER,
            budget_warning REAL,
            updated_at TEXT NOT NULL
        );
        -- Where a campaign's alerts and reminders go: an Apprise URL whose secrets are ${VAR}
        -- placeholders, resolved from the environment when a message is sent, never stored.
        CREATE TABLE alert_destinations (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            url TEXT NOT NULL,
            kinds TEXT NOT NULL DEFAULT '[]',
            urgent TEXT NOT NULL DEFAULT '["pile_on"]',
            quiet_start TEXT,
            quiet_end TEXT,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            digest TEXT NOT NULL DEFAULT 'none',
            digest_at TEXT NOT NULL DEFAULT '08:00',
            position INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (campaign_id, name)
        );
        -- One row per (message, destination): claimed in one transaction before it is sent,
        -- and marked sent or failed in the transaction that records the attempt.
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
            destination TEXT NOT NULL,
            message_key TEXT NOT NULL,
            alert_id INTEGER REFERENCES alerts(id) ON DELETE CASCADE,
            volunteer_id INTEGER REFERENCES volunteers(id) ON DELETE CASCADE,
            assignment_id INTEGER REFERENCES assignments(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            urgent INTEGER NOT NULL DEFAULT 0,
            mode TEXT NOT NULL DEFAULT 'single',
            status TEXT NOT NULL DEFAULT 'pending',
            due_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            claimed_at TEXT,
            sent_at TEXT,
            last_error TEXT,
            title TEXT NOT NULL DEFAULT '',
            body TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            UNIQUE (campaign_id, destination, message_key)
        );
        CREATE INDEX outbox_due ON outbox (status, due_at);
        CREATE INDEX outbox_alert ON outbox (alert_id) WHERE alert_id IS NOT NULL;
        CREATE TABLE outbox_attempts (
            id INTEGER PRIMARY KEY,
            outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            ok INTEGER NOT NULL,
            error TEXT
        );
        CREATE INDEX outbox_attempts_row ON outbox_attempts (outbox_id, at);
        """
    )



# The tone histogram's slices of -1..1, as store.reads.sentiment_histogram cuts them: slot =
# min(CAST((sentiment + 1.0) / 0.1 AS INTEGER), 19). Each class can only fall in some slots
# (negative, <= -0.05, in 0-9; neutral in 9-10; positive, >= 0.05, in 10-19), so a row holds one
# count per (class, slot) that can occur. Written out as the cut-offs were when this ran; a
# test holds them equal to campaigns.metrics and to the read.
_TONE_SLOT_COLUMNS = (
    [(f"negative_{k:02d}", k, "{x} <= -0.05") for k in range(0, 10)]
    + [(f"neutral_{k:02d}", k, "{x} > -0.05 AND {x} < 0.05") for k in (9, 10)]
    + [(f"positive_{k:02d}", k, "{x} >= 0.05") for k in range(10, 20)]
)
_TONE_SLOT_NAMES = [name for name, _, _ in _TONE_SLOT_COLUMNS]


def _tone_slot_values(x: str) -> list[str]:
    """The 0 or 1 of each tone slot column for the score expression `x` (unscored: 0 everywhere)."""
    slot = f"min(CAST(({x} + 1.0) / 0.1 AS INTEGER), 19)"
    return [f"coalesce({slot} = {k} AND ({rule.format(x=x)}), 0)" for _, k, rule in _TONE_SLOT_COLUMNS]


def _matches_of(row: str, index: str, column: str) -> str:
    """The FROM and WHERE of the matches under the key `column` of `row` and its side, on `index`."""
    return (f"FROM mention_matches INDEXED BY {index} WHERE campaign_id = {row}.campaign_id"
            f" AND {column} = {row}.{column} AND side = {row}.side")


def _span_of(row: str, column: str) -> str:
    return f"campaign_id = {row}.campaign_id AND key = {row}.{column} AND side = {row}.side"


def _earlier(column: str) -> str:
    return f"{column} = CASE WHEN {column} IS NULL OR excluded.{column} < {column} THEN excluded.{column} ELSE {column} END"


def _later(column: str) -> str:
    return f"{column} = CASE WHEN {column} IS NULL OR excluded.{column} > {column} THEN excluded.{column} ELSE {column} END"


def _tone_add(row: str) -> str:
    return (
        f"INSERT INTO tone_slots (campaign_id, hour, platform, side, {', '.join(_TONE_SLOT_NAMES)})"
        f" SELECT {row}.campaign_id, substr({row}.created_at, 1, 13) || ':00:00Z', {row}.platform, {row}.side,"
        f" {', '.join(_tone_slot_values(row + '.sentiment'))} WHERE {row}.sentiment IS NOT NULL"
        " ON CONFLICT (campaign_id, hour, platform, side) DO UPDATE SET "
        + ", ".join(f"{name} = {name} + excluded.{name}" for name in _TONE_SLOT_NAMES))


def _tone_remove(row: str) -> str:
    return (
        "UPDATE tone_slots SET " + ", ".join(
            f"{name} = {name} - {value}"
            for name, value in zip(_TONE_SLOT_NAMES, _tone_slot_values(row + ".sentiment"), strict=True))
        + f" WHERE campaign_id = {row}.campaign_id AND hour = substr({row}.created_at, 1, 13) || ':00:00Z'"
        f" AND platform = {row}.platform AND side = {row}.side AND {row}.sentiment IS NOT NULL")


def _author_add(row: str) -> str:
    return (
        "INSERT INTO spans (campaign_id, key, side, author_first, author_last)"
        f" SELECT {row}.campaign_id, {row}.author_key, {row}.side, {row}.created_at, {row}.created_at"
        f" WHERE {row}.author_key IS NOT NULL ON CONFLICT (campaign_id, key, side) DO UPDATE SET"
        f" {_earlier('author_first')}, {_later('author_last')}")


def _audience_add(row: str) -> str:
    return (
        "INSERT INTO spans (campaign_id, key, side, audience_first, audience_last, max_value, max_at, own_posts)"
        f" SELECT {row}.campaign_id, {row}.reach_key, {row}.side, {row}.created_at, {row}.created_at,"
        f" {row}.reach_value, {row}.created_at, coalesce({row}.author_key = {row}.reach_key, 0)"
        f" WHERE {row}.reach_key IS NOT NULL AND {row}.reach_value IS NOT NULL"
        " ON CONFLICT (campaign_id, key, side) DO UPDATE SET"
        f" {_earlier('audience_first')}, {_later('audience_last')},"
        " max_value = CASE WHEN max_value IS NULL OR excluded.max_value > max_value THEN excluded.max_value"
        "  ELSE max_value END,"
        " max_at = CASE WHEN max_value IS NULL OR excluded.max_value > max_value THEN excluded.max_at"
        "  WHEN excluded.max_value = max_value THEN max(max_at, excluded.max_at) ELSE max_at END,"
        " own_posts = own_posts + excluded.own_posts")


# A span's first and last instant, and its largest audience, are looked up again only when the
# match leaving is the one they came from: the first and last one index step each, the largest
# a pass over that audience's own matches. Taking a whole span away match by match stays linear.
def _author_remove(row: str) -> list[str]:
    authors = _matches_of(row, "mention_matches_authors", "author_key")
    return [
        "UPDATE spans SET"
        f" author_first = CASE WHEN author_first = {row}.created_at"
        f"  THEN (SELECT created_at {authors} ORDER BY created_at LIMIT 1) ELSE author_first END,"
        f" author_last = CASE WHEN author_last = {row}.created_at"
        f"  THEN (SELECT created_at {authors} ORDER BY created_at DESC LIMIT 1) ELSE author_last END"
        f" WHERE {_span_of(row, 'author_key')}",
        f"DELETE FROM spans WHERE {_span_of(row, 'author_key')} AND author_first IS NULL AND audience_first IS NULL",
    ]


def _audience_remove(row: str) -> list[str]:
    audiences = _matches_of(row, "mention_matches_audiences", "reach_key") + " AND reach_value IS NOT NULL"
    return [
        "UPDATE spans SET"
        f" own_posts = own_posts - coalesce({row}.author_key = {row}.reach_key, 0),"
        f" audience_first = CASE WHEN audience_first = {row}.created_at"
        f"  THEN (SELECT created_at {audiences} ORDER BY created_at LIMIT 1) ELSE audience_first END,"
        f" audience_last = CASE WHEN audience_last = {row}.created_at"
        f"  THEN (SELECT created_at {audiences} ORDER BY created_at DESC LIMIT 1) ELSE audience_last END,"
        f" max_value = CASE WHEN max_at = {row}.created_at THEN (SELECT max(reach_value) {audiences})"
        "  ELSE max_value END,"
        f" max_at = CASE WHEN max_at = {row}.created_at"
        f"  THEN (SELECT created_at {audiences} ORDER BY reach_value DESC, created_at DESC LIMIT 1) ELSE max_at END"
        f" WHERE {_span_of(row, 'reach_key')} AND {row}.reach_value IS NOT NULL",
        f"DELETE FROM spans WHERE {_span_of(row, 'reach_key')} AND author_first IS NULL AND audience_first IS NULL",
    ]


@migrations(name="0013_tone_slots")
def tone_slots(db):
    """Roll-ups for the reads that passed over every match of a window.

    `tone_slots`: scored posts per hour, platform and side in each 0.1-wide slice of the tone
    histogram and class, so the histogram sums roll-up rows instead of matches.
    `spans`: per campaign, key and side, the first and last instant the key was seen as an
    author, and as an audience of known size (`reach_key`, `reach_value`) with its largest size,
    the latest instant of it, and how many of its posts were by their audience's owner. Unique authors and
    potential reach over a long window count these rows (one per author on a side), looking
    into the matches only for the spans that cover the window without starting, ending or
    peaking inside it; top amplifiers take audiences in descending size and stop once the top
    is certain.
    `daily`: the hourly roll-up summed per UTC day, kept by triggers on `hourly` whoever writes
    it, so a long window sums days and only its edges hours.

    The upsert adds new matches to both; triggers on mention_matches move them by the difference
    when a match changes or goes, in the same transaction. The matches already stored are
    counted here once.
    """
    conn = db.conn
    slot_columns = ", ".join(f"{name} INTEGER NOT NULL DEFAULT 0" for name in _TONE_SLOT_NAMES)
    conn.execute(
        "CREATE TABLE tone_slots (campaign_id INTEGER NOT NULL, hour TEXT NOT NULL, platform TEXT NOT NULL,"
        f" side TEXT NOT NULL, {slot_columns}, PRIMARY KEY (campaign_id, hour, platform, side)) WITHOUT ROWID")
    conn.execute(
        "CREATE TABLE spans (campaign_id INTEGER NOT NULL, key TEXT NOT NULL, side TEXT NOT NULL,"
        " author_first TEXT, author_last TEXT, audience_first TEXT, audience_last TEXT,"
        " max_value INTEGER, max_at TEXT, own_posts INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (campaign_id, key, side)) WITHOUT ROWID")
    conn.execute(
        f"INSERT INTO tone_slots (campaign_id, hour, platform, side, {', '.join(_TONE_SLOT_NAMES)})"
        f" SELECT campaign_id, hour, platform, side, {', '.join(f'sum({n})' for n in _TONE_SLOT_NAMES)}"
        " FROM (SELECT campaign_id, substr(created_at, 1, 13) || ':00:00Z' AS hour, platform, side, "
        + ", ".join(f"{v} AS {n}" for n, v in zip(_TONE_SLOT_NAMES, _tone_slot_values("sentiment"), strict=True))
        + " FROM mention_matches WHERE sentiment IS NOT NULL) GROUP BY campaign_id, hour, platform, side")
    conn.execute(
        "INSERT INTO spans (campaign_id, key, side, author_first, author_last)"
        " SELECT campaign_id, author_key, side, min(created_at), max(created_at)"
        " FROM mention_matches WHERE author_key IS NOT NULL GROUP BY campaign_id, author_key, side")
    conn.execute(
        "INSERT INTO spans (campaign_id, key, side, audience_first, audience_last, max_value, own_posts)"
        " SELECT campaign_id, reach_key, side, min(created_at), max(created_at), max(reach_value),"
        " sum(coalesce(author_key = reach_key, 0)) FROM mention_matches"
        " WHERE reach_key IS NOT NULL AND reach_value IS NOT NULL GROUP BY campaign_id, reach_key, side"
        " ON CONFLICT (campaign_id, key, side) DO UPDATE SET audience_first = excluded.audience_first,"
        " audience_last = excluded.audience_last, max_value = excluded.max_value, own_posts = excluded.own_posts")
    conn.execute(
        "UPDATE spans SET max_at = (SELECT created_at FROM mention_matches INDEXED BY mention_matches_audiences"
        " WHERE campaign_id = spans.campaign_id AND reach_key = spans.key AND side = spans.side"
        " AND reach_value = spans.max_value ORDER BY created_at DESC LIMIT 1) WHERE audience_first IS NOT NULL")
    # No index on the size: nearly every post rewrites its span, and an index over any column a
    # post changes would be rewritten with it (at 100,000 mentions, 13 µs more a post stored).
    # New matches are added by the upsert that stores them, summed over its batch (store.mentions);
    # a match that changes or goes moves both roll-ups here, by the difference, whoever changes
    # it: storing a post again, a correction, a purge, forgetting, a deleted campaign.
    conn.execute("CREATE TRIGGER mention_matches_rollups_delete AFTER DELETE ON mention_matches BEGIN "
                 + "; ".join([_tone_remove("old"), *_author_remove("old"), *_audience_remove("old")]) + "; END")
    own = "coalesce(old.author_key = old.reach_key, 0) IS NOT coalesce(new.author_key = new.reach_key, 0)"
    for name, columns, statements, also in (
            ("tone", ("campaign_id", "created_at", "platform", "side", "sentiment"),
             [_tone_remove("old"), _tone_add("new")], ""),
            ("authors", ("campaign_id", "created_at", "side", "author_key"),
             [*_author_remove("old"), _author_add("new")], ""),
            # A purge blanks a post's author: its audience moves only if that was its own.
            ("audiences", ("campaign_id", "created_at", "side", "reach_key", "reach_value", "author_key"),
             [*_audience_remove("old"), _audience_add("new")], own)):
        changed = " OR ".join([f"old.{c} IS NOT new.{c}" for c in columns if c != "author_key" or not also]
                              + ([also] if also else []))
        conn.execute(f"CREATE TRIGGER mention_matches_rollups_{name} AFTER UPDATE OF {', '.join(columns)}"
                     f" ON mention_matches WHEN {changed} BEGIN " + "; ".join(statements) + "; END")
    # The hourly roll-up per UTC day, moved by the difference whenever an hour is written.
    sums = ("mentions", "reposts", "engagement", "sentiment_sum", "scored", "pos", "neg", "neu", "abusive",
            "impressions", "impressions_known", "engagement_known")
    columns = ", ".join(f"{c} {'REAL' if c == 'sentiment_sum' else 'INTEGER'} NOT NULL DEFAULT 0" for c in sums)
    conn.execute("CREATE TABLE daily (campaign_id INTEGER NOT NULL, day TEXT NOT NULL, platform TEXT NOT NULL,"
                 f" side TEXT NOT NULL, {columns}, PRIMARY KEY (campaign_id, day, platform, side)) WITHOUT ROWID")
    conn.execute(f"INSERT INTO daily (campaign_id, day, platform, side, {', '.join(sums)})"
                 " SELECT campaign_id, substr(hour, 1, 10) || 'T00:00:00Z', platform, side,"
                 f" {', '.join(f'sum({c})' for c in sums)} FROM hourly GROUP BY 1, 2, 3, 4")

    def moved(row: str, sign: str) -> str:
        return (f"INSERT INTO daily (campaign_id, day, platform, side, {', '.join(sums)})"
                f" SELECT {row}.campaign_id, substr({row}.hour, 1, 10) || 'T00:00:00Z', {row}.platform, {row}.side, "
                + ", ".join(f"{sign}{row}.{c}" for c in sums) + " WHERE true"
                " ON CONFLICT (campaign_id, day, platform, side) DO UPDATE SET "
                + ", ".join(f"{c} = {c} + excluded.{c}" for c in sums))

    conn.execute(f"CREATE TRIGGER hourly_daily_insert AFTER INSERT ON hourly BEGIN {moved('new', '')}; END")
    conn.execute(f"CREATE TRIGGER hourly_daily_update AFTER UPDATE ON hourly BEGIN {moved('old', '-')};"
                 f" {moved('new', '')}; END")
    conn.execute(f"CREATE TRIGGER hourly_daily_delete AFTER DELETE ON hourly BEGIN {moved('old', '-')}; END")


def _hashtags_moved(row: str, sign: str) -> str:
    """The statement moving `row`'s (a match's) tags in hashtag_days by one post, up or down."""
    return (
        "INSERT INTO hashtag_days (campaign_id, day, tag, platform, side, posts)"
        f" SELECT {row}.campaign_id, substr({row}.created_at, 1, 10) || 'T00:00:00Z', h.tag, {row}.platform,"
        f" {row}.side, {sign}1 FROM mention_hashtags h WHERE h.campaign_id = {row}.campaign_id"
        f" AND h.mention_uid = {row}.mention_uid"
        " ON CONFLICT (campaign_id, day, tag, platform, side) DO UPDATE SET posts = posts + excluded.posts")


@migrations(name="0014_hashtag_days")
def hashtag_days(db):
    """Posts per UTC day, hashtag, platform and side of each campaign, so top hashtags over a long
    window sums days instead of joining every match of it to its tags.

    A post counts under a tag while both its match and its tag row exist, as the plain join
    counts it. The upsert adds new matches' tags, summed over its batch (store.mentions);
    triggers move them when a match changes day, platform or side, or goes, and when a tag row
    goes. A match's tag rows go with it: without the match they describe nothing, and a post
    matched again later must not find stale tags. Rows of no posts are left as zeros.
    """
    conn = db.conn
    conn.execute(
        "CREATE TABLE hashtag_days (campaign_id INTEGER NOT NULL, day TEXT NOT NULL, tag TEXT NOT NULL,"
        " platform TEXT NOT NULL, side TEXT NOT NULL, posts INTEGER NOT NULL DEFAULT 0,"
        " PRIMARY KEY (campaign_id, day, tag, platform, side)) WITHOUT ROWID")
    conn.execute(
        "DELETE FROM mention_hashtags WHERE NOT EXISTS (SELECT 1 FROM mention_matches mm"
        " WHERE mm.mention_uid = mention_hashtags.mention_uid AND mm.campaign_id = mention_hashtags.campaign_id)")
    conn.execute(
        "INSERT INTO hashtag_days (campaign_id, day, tag, platform, side, posts)"
        " SELECT mm.campaign_id, substr(mm.created_at, 1, 10) || 'T00:00:00Z', h.tag, mm.platform, mm.side, count(*)"
        " FROM mention_hashtags h CROSS JOIN mention_matches mm ON mm.mention_uid = h.mention_uid"
        " AND mm.campaign_id = h.campaign_id GROUP BY 1, 2, 3, 4, 5")
    conn.execute(
        "CREATE TRIGGER mention_matches_hashtags_delete AFTER DELETE ON mention_matches BEGIN "
        f"{_hashtags_moved('old', '-')}; DELETE FROM mention_hashtags"
        " WHERE campaign_id = old.campaign_id AND mention_uid = old.mention_uid; END")
    conn.execute(
        "CREATE TRIGGER mention_matches_hashtags_update AFTER UPDATE OF created_at, platform, side ON mention_matches"
        " WHEN substr(old.created_at, 1, 10) IS NOT substr(new.created_at, 1, 10) OR old.platform IS NOT new.platform"
        f" OR old.side IS NOT new.side BEGIN {_hashtags_moved('old', '-')}; {_hashtags_moved('new', '')}; END")
    # Deleted after its match (as the match's own trigger deletes it), a tag row counts nothing.
    conn.execute(
        "CREATE TRIGGER mention_hashtags_delete AFTER DELETE ON mention_hashtags BEGIN"
        " UPDATE hashtag_days SET posts = posts - 1 WHERE (campaign_id, day, tag, platform, side) IN"
        " (SELECT mm.campaign_id, substr(mm.created_at, 1, 10) || 'T00:00:00Z', old.tag, mm.platform, mm.side"
        "  FROM mention_matches mm WHERE mm.mention_uid = old.mention_uid AND mm.campaign_id = old.campaign_id); END")


# The rowid under which a post's words are in mentions_fts: its own, or for a repost the post it
# repeats (a repost's text is its original's and is not indexed; a repost of a repost has none).
_TEXT_ROWID = ("CASE WHEN {m}.is_repost = 0 THEN {m}.rowid"
               " ELSE (SELECT o.rowid FROM mentions o WHERE o.uid = {m}.reposted_uid AND o.is_repost = 0) END")


@migrations(name="0015_match_search")
def match_search(db):
    """Each match holds its post's language and the rowid its words are indexed under, in the
    range index, so the Posts page's language filter and a search read only the window's index
    entries (a search's hits are then checked against them, not looked up post by post).

    Triggers on mentions keep both as the post's: a language reported later, a repost's
    original stored after it or named later.
    """
    conn = db.conn
    conn.execute("ALTER TABLE mention_matches ADD COLUMN lang TEXT")
    conn.execute("ALTER TABLE mention_matches ADD COLUMN text_rowid INTEGER")
    conn.execute(
        f"UPDATE mention_matches SET (lang, text_rowid) = (SELECT m.lang, {_TEXT_ROWID.format(m='m')}"
        " FROM mentions m WHERE m.uid = mention_matches.mention_uid)")
    conn.execute("DROP INDEX mention_matches_range")
    conn.execute(
        "CREATE INDEX mention_matches_range ON mention_matches (campaign_id, created_at, side, platform,"
        " reach_key, reach_value, author_key, is_repost, engagement, sentiment, abuse, mention_uid, lang, text_rowid)")
    reposts = "mention_uid IN (SELECT r.uid FROM mentions r WHERE r.reposted_uid = {row}.uid AND r.is_repost = 1)"
    conn.execute(
        "CREATE TRIGGER mentions_matches_text_insert AFTER INSERT ON mentions WHEN new.is_repost = 0 BEGIN"
        f" UPDATE mention_matches SET text_rowid = new.rowid WHERE {reposts.format(row='new')}; END")
    conn.execute(
        "CREATE TRIGGER mentions_matches_lang AFTER UPDATE OF lang ON mentions WHEN old.lang IS NOT new.lang BEGIN"
        " UPDATE mention_matches SET lang = new.lang WHERE mention_uid = new.uid; END")
    conn.execute(
        "CREATE TRIGGER mentions_matches_reposted AFTER UPDATE OF reposted_uid ON mentions"
        " WHEN old.reposted_uid IS NOT new.reposted_uid AND new.is_repost = 1 BEGIN"
        f" UPDATE mention_matches SET text_rowid = ({_TEXT_ROWID.format(m='new')}) WHERE mention_uid = new.uid; END")


@migrations(name="0016_reviewed_matches")
def reviewed_matches(db):
    """The matches a person gave a verdict, by campaign: the Safety page measures the scorer on
    them, and found them by visiting every match of the campaign (0.4 s at 1M mentions). Only
    reviewed matches are in it, so storing a post costs it nothing."""
    db.conn.execute("CREATE INDEX mention_matches_reviewed ON mention_matches (campaign_id) WHERE verdict IS NOT NULL")


@migrations(name="0017_index_by_batch")
def index_by_batch(db):
    """New posts' words are indexed, and reposts stored before their original take its text's
    rowid, once per stored batch (store.mentions.upsert_mentions) instead of by a trigger on
    each inserted row. A row trigger writing to the FTS5 table runs inside a statement
    savepoint, and FTS5 flushes its pending terms to disk at every savepoint: each post became
    a segment of its own to merge, which cost ingest about 35 µs a post (a third of the store's
    writes). One INSERT ... SELECT a batch writes one segment. Updates and deletes of a post's
    text stay with their triggers: they are rare, and every route that changes text takes them."""
    db.conn.execute("DROP TRIGGER IF EXISTS mentions_fts_insert")
    db.conn.execute("DROP TRIGGER IF EXISTS mentions_matches_text_insert")


# The candidates for the most toned and the most engaged original posts (0018_post_candidates):
# reads.py states the same conditions, which SQLite must find in a query to use a partial index.
# Changing one is a new migration that rebuilds the index, never an edit here.
TONED_FROM = 0.5
ENGAGED_FROM = 100
CANDIDATE_INDEXES = {
    # name: (condition, key in the order a read walks it)
    "mention_matches_negative": (f"is_repost = 0 AND sentiment <= -{TONED_FROM}",
                                 "sentiment, engagement DESC, created_at DESC, mention_uid"),
    "mention_matches_positive": (f"is_repost = 0 AND sentiment >= {TONED_FROM}",
                                 "sentiment DESC, engagement DESC, created_at DESC, mention_uid"),
    "mention_matches_engaged": (f"is_repost = 0 AND engagement >= {ENGAGED_FROM}",
                                "engagement DESC, created_at DESC, mention_uid"),
}


@migrations(name="0018_post_candidates")
def post_candidates(db):
    """The original posts that can be a window's most negative, most positive or most engaged, per
    campaign in the order those lists take them: the Sentiment and Traction pages sorted a 90-day
    window's matches for them (about 35 ms CPU at 1M mentions). Each index holds only its
    candidates (a tone of 0.5 or more either way, or 100 engagement or more), so storing a post
    costs one entry at most per list it could enter; at 1M mentions they build in about a second."""
    for name, (condition, key) in CANDIDATE_INDEXES.items():
        db.conn.execute(f"CREATE INDEX {name} ON mention_matches (campaign_id, {key}, side, platform) WHERE {condition}")

"""Post-action reports: the window-sized reads a report rests on, and the reports table (drafts and notes)."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pandas as pd

from campaigns import clock
from campaigns import reports as rules
from campaigns.errors import ValidationError
from campaigns.metrics import Filters
from campaigns.model import iso_utc, to_datetime
from campaigns.reports import NOTE_QUESTIONS, Notes, PlanFacts, ReportInputs, Subject
from campaigns.store.reads import _aliased_where

SIDE_FILTERS = {"ours": ("ours",), "opposing": ("opposing",), "all": ()}
HOURLY_SUMS = ("mentions", "reposts", "engagement", "pos", "neg", "neu")
# Enough posts to tell which wording of a message was used; beyond this the count says so.
TEXTS_READ = 20_000
SUBJECT_KEY = re.compile(r"^(action|event)[:#\s]?(\d+)$", re.IGNORECASE)


class Reports:
    """Reads and writes of post-action reports (`store.reports`)."""

    def __init__(self, store):
        self.store = store

    @property
    def conn(self):
        return self.store.conn

    # -- what can be reported on ------------------------------------------------------------

    def subjects(self, campaign_id: int) -> list[Subject]:
        """A campaign's calls to action and events in time order, their status as it is now."""
        work = [Subject.of(w) for w in (*self.store.plan.campaign_actions(campaign_id),
                                        *self.store.plan.campaign_events(campaign_id))]
        return sorted(work, key=lambda s: (s.start, s.kind, s.id))

    def subject(self, kind: str, subject_id: int) -> Subject:
        """One call to action ('action') or event ('event') by id."""
        if kind not in ("action", "event"):
            raise ValidationError(f"a report is on a call to action or an event, not '{kind}'")
        try:
            work = self.store.plan.get_action(subject_id) if kind == "action" else self.store.plan.get_event(subject_id)
        except ValidationError:
            noun = "call to action" if kind == "action" else "event"
            raise ValidationError(f"no {noun} with id {subject_id} (see: groundswell {kind} list)") from None
        return Subject.of(work)

    def find(self, text: str, campaign_id: int | None = None) -> Subject:
        """A subject from what a user typed: 'action:3', 'event:2', an id, or a title (any case)."""
        typed = str(text).strip()
        keyed = SUBJECT_KEY.match(typed)
        if keyed:
            return self.subject(keyed.group(1).lower(), int(keyed.group(2)))
        scope, params = ("", []) if campaign_id is None else (" AND campaign_id = ?", [campaign_id])
        if typed.isdigit():
            found = [kind for kind, table in (("action", "actions"), ("event", "events"))
                     if self.conn.execute(f"SELECT 1 FROM {table} WHERE id = ?{scope}",
                                          [int(typed), *params]).fetchone()]
            if len(found) == 2:
                raise ValidationError(f"both a call to action and an event have id {typed}: "
                                      f"say action:{typed} or event:{typed}")
            if found:
                return self.subject(found[0], int(typed))
        else:
            found = [(kind, row[0]) for kind, table in (("action", "actions"), ("event", "events"))
                     for row in self.conn.execute(f"SELECT id FROM {table} WHERE lower(title) = lower(?){scope}",
                                                  [typed, *params]).fetchall()]
            if len(found) > 1:
                raise ValidationError(f"several calls to action or events are called '{typed}': say which with "
                                      + " or ".join(f"{kind}:{subject_id}" for kind, subject_id in found))
            if found:
                return self.subject(*found[0])
        raise ValidationError(f"no call to action or event '{typed}' (see: groundswell action list, "
                              "groundswell event list)")

    # -- window-sized reads ------------------------------------------------------------------

    def top_posts(self, windows: dict[str, Filters], limit: int = rules.TOP_POSTS) -> dict[str, pd.DataFrame]:
        """The most engaged original posts of each window (by key) that were scored and not offensive:
        a report never carries abusive text, so what is not known to be clean is left out too."""
        chosen: dict[str, dict[str, str]] = {}
        campaign_id = next(iter(windows.values())).campaign_id
        threshold = self.store.protected_accounts().threshold(campaign_id)
        for key, filters in windows.items():
            where, params = filters.where()
            chosen[key] = dict(self.conn.execute(
                f"SELECT mention_uid, side FROM mention_matches WHERE {where} AND is_repost = 0"
                " AND abuse IS NOT NULL AND abuse < ? ORDER BY engagement DESC, created_at DESC, mention_uid LIMIT ?",
                [*params, threshold, limit]).fetchall())
        # One read of the posts for every window, then each window's own in its order.
        posts = self.store.reads._posts(campaign_id,
                                        {uid: side for sides in chosen.values() for uid, side in sides.items()})
        by_uid = posts.set_index("uid", drop=False)
        return {key: by_uid.loc[[uid for uid in sides if uid in by_uid.index]].reset_index(drop=True)
                for key, sides in chosen.items()}

    def new_authors(self, filters: Filters, limit: int = rules.NEW_AMPLIFIERS) -> tuple[int, pd.DataFrame]:
        """Authors whose first post in the campaign falls in the window: how many, and the ones with
        the largest audience of their own (their followers; Reddit posters have none of their own).

        Each author of the window is looked up once on (campaign, author, time) for an earlier post.
        """
        where, params = _aliased_where(filters, "m")
        found = pd.read_sql_query(
            "SELECT m.author_key, min(m.platform) AS platform, count(*) AS posts,"
            " max(CASE WHEN m.reach_key = m.author_key THEN m.reach_value END) AS followers"
            f" FROM mention_matches m WHERE {where} AND m.author_key IS NOT NULL AND NOT EXISTS ("
            "SELECT 1 FROM mention_matches p INDEXED BY mention_matches_authors WHERE p.campaign_id = m.campaign_id"
            " AND p.author_key = m.author_key AND p.created_at < ?) GROUP BY m.author_key"
            " ORDER BY followers IS NULL, followers DESC, posts DESC, m.author_key",
            self.conn, params=[*params, filters.start])
        return len(found), found.head(limit).reset_index(drop=True)

    def protected_abuse(self, campaign_id: int, start: str, end: str) -> int:
        """Posts in [start, end) that met a protected account's tracker, were not written by that
        account, and scored as offensive language, whatever side the post took: a count, never text.

        Each protected account's tracker is read on (tracker, time), then the post's campaign row
        by its primary key.
        """
        return self.conn.execute(
            "SELECT count(DISTINCT t.mention_uid) FROM trackers k"
            " JOIN mention_trackers t ON t.tracker_id = k.id AND t.created_at >= ? AND t.created_at < ?"
            " JOIN mention_matches m ON m.mention_uid = t.mention_uid AND m.campaign_id = k.campaign_id"
            " WHERE k.campaign_id = ? AND k.side = 'protect' AND m.abuse >= ?"
            " AND lower(coalesce(m.author_key, '')) != lower(k.value)",
            [start, end, campaign_id, self.store.protected_accounts().threshold(campaign_id)]).fetchone()[0]

    def tagged_texts(self, campaign_id: int, tags, start: str, end: str, limit: int = TEXTS_READ) -> list[str]:
        """The texts of original posts carrying any of `tags` in [start, end), to tell which wording was used."""
        tags = [t.lstrip("#").lower() for t in tags]
        if not tags:
            return []
        return [row[0] or "" for row in self.conn.execute(
            "SELECT m.text FROM mentions m WHERE m.uid IN (SELECT mention_uid FROM mention_hashtags"
            f" WHERE campaign_id = ? AND created_at >= ? AND created_at < ? AND tag IN ({', '.join('?' * len(tags))}))"
            " AND m.is_repost = 0 LIMIT ?", [campaign_id, start, end, *tags, limit])]

    def runs(self, campaign_id: int, start: str, end: str) -> pd.DataFrame:
        """Collection runs for the campaign, and campaign-less ones (refresh), started in [start, end)."""
        columns = "collector, started_at, finished_at, status, fetched, error"
        return pd.read_sql_query(
            f"SELECT {columns} FROM collection_runs WHERE campaign_id = ? AND started_at >= ? AND started_at < ?"
            f" UNION ALL SELECT {columns} FROM collection_runs WHERE campaign_id IS NULL"
            " AND started_at >= ? AND started_at < ? ORDER BY started_at",
            self.conn, params=[campaign_id, start, end, start, end])

    def ever_collected(self, campaign_id: int) -> bool:
        """Whether any collector has run for the campaign (else its posts were imported)."""
        return self.conn.execute("SELECT 1 FROM collection_runs WHERE campaign_id = ? LIMIT 1",
                                 [campaign_id]).fetchone() is not None

    # -- the plan, through the planner's verbs ----------------------------------------------


    def _plan_facts(self, subject: Subject, subjects: list[Subject]) -> tuple[PlanFacts, tuple[str, ...]]:
        """The plan beside the outcome, and the hashtags whose posts count as the subject's own."""
        assignments = self.store.plan.assignments(subject.campaign_id)
        own = assignments[(assignments["kind"] == subject.kind) & (assignments["subject_id"] == subject.id)]
        statuses = {status: int(count) for status, count in own["status"].value_counts().sort_index().items()}
        if subject.kind == "action":
            action = self.store.plan.get_action(subject.id)
            facts = PlanFacts(kind=action.kind, goal_count=action.goal_count,
                              completion=self.store.plan.action_post_count(subject.id) if action.hashtags else None,
                              hashtags=tuple(action.hashtags), assignments=statuses, messages=tuple(action.messages))
            return facts, tuple(action.hashtags)
        event = self.store.plan.get_event(subject.id)
        calls = [s for s in subjects if s.kind == "action" and s.event_id == subject.id]
        linked = []
        messages: list[str] = []
        tags: list[str] = []
        for call in calls:
            action = self.store.plan.get_action(call.id)
            linked.append((action.title, action.goal_count,
                           self.store.plan.action_post_count(call.id) if action.hashtags else None))
            messages += action.messages
            tags += action.hashtags
        signed_up = int(own["status"].isin(("accepted", "done")).sum())
        facts = PlanFacts(kind="event", capacity=event.capacity, signed_up=signed_up, assignments=statuses,
                          needs=tuple(rules.Need(n.item, n.quantity, n.pledged, n.delivered) for n in event.needs),
                          linked=tuple(linked), messages=tuple(dict.fromkeys(messages)),
                          hashtags=tuple(dict.fromkeys(tags)))
        return facts, facts.hashtags

    def _demand_updates(self, campaign_id: int, windows: dict[str, rules.Window]) -> pd.DataFrame:
        """Updates to the campaign's demands dated inside any of the windows, with the window named."""
        rows = []
        demands = self.store.plan.demands(campaign_id)
        for demand in demands.itertuples():
            for update in self.store.plan.demand_updates(int(demand.id)).itertuples():
                at = to_datetime(update.at)
                window = next((w.name for w in windows.values() if w.start <= at < w.end), None)
                if window:
                    rows.append({"window": window, "demand_id": int(demand.id), "demand": demand.text,
                                 "at": update.at, "status": update.status, "note": update.note,
                                 "source_url": update.source_url})
        return pd.DataFrame(rows, columns=["window", "demand_id", "demand", "at", "status", "note", "source_url"])

    # -- a report's inputs -------------------------------------------------------------------

    def inputs(self, subject: Subject, now: datetime | None = None) -> ReportInputs:
        """Everything the report of `subject` rests on, as of `now` (the clock's by default)."""
        now = now or clock.now()
        if subject.starts >= now:
            raise ValidationError(
                f"{subject.noun} {subject.id} '{subject.title}' starts {subject.starts:%Y-%m-%d %H:%M} UTC: "
                "it has no windows to report on yet")
        campaign = self.store.campaign_by_id(subject.campaign_id)
        tz = campaign.timezone
        reads = self.store.reads
        windows = subject.windows(tz)
        shown = {name: w.clipped(now) for name, w in windows.items()}

        def filters(window: rules.Window, side: str) -> Filters:
            return Filters(campaign.id, iso_utc(window.start), iso_utc(window.end), (), SIDE_FILTERS[side])

        figures = {name: {side: reads.kpis(filters(window, side)) for side in SIDE_FILTERS}
                   for name, window in shown.items() if window is not None}
        during = shown["during"]
        weeks = {side: [reads.kpis(filters(during.shifted_weeks(k, tz), side))
                        for k in range(1, rules.PATTERN_WEEKS + 1)] for side in rules.SIDES}
        span_start = min(windows["week_before"].start,
                         rules.weeks_before(windows["before"].start, rules.PATTERN_WEEKS, tz),
                         during.shifted_weeks(rules.PATTERN_WEEKS, tz).start)
        span_end = min(now, windows["after"].end + rules.RECOVERY_HORIZON)
        span_start = span_start.replace(minute=0, second=0, microsecond=0)
        hourly = reads.hourly_frame(Filters(campaign.id, iso_utc(span_start), iso_utc(max(span_end, span_start))),
                                    by=("side",), sums=HOURLY_SUMS)
        hourly["hour"] = hourly["hour"].astype("datetime64[ns, UTC]")
        keyed = {f"{name}:{side}": filters(window, side) for name, window in shown.items() if window is not None
                 for side in rules.SIDES}
        top_posts = self.top_posts(keyed)
        new_authors, new_amplifiers = {}, {}
        for key, window_filters in keyed.items():
            new_authors[key], new_amplifiers[key] = self.new_authors(window_filters)
        subjects = self.subjects(campaign.id)
        plan, tags = self._plan_facts(subject, subjects)
        first = min(w.start for w in windows.values())
        last = max(w.end for w in windows.values())
        return ReportInputs(
            campaign=campaign, subject=subject, now=now, figures=figures, weeks=weeks, hourly=hourly,
            first_data_hour=reads.data_bounds(campaign.id)[0],
            runs=self.runs(campaign.id, iso_utc(span_start - timedelta(days=1)), iso_utc(span_end + timedelta(days=1))),
            ever_collected=self.ever_collected(campaign.id), top_posts=top_posts, new_authors=new_authors,
            protected_abuse={name: self.protected_abuse(campaign.id, iso_utc(w.start), iso_utc(w.end))
                             for name, w in shown.items() if w is not None},
            new_amplifiers=new_amplifiers,
            tagged_texts=self.tagged_texts(campaign.id, tags, iso_utc(during.start), iso_utc(during.end)),
            others=[s for s in subjects if s.busy(min(first, span_start), last)], plan=plan,
            demand_updates=self._demand_updates(campaign.id, {n: w for n, w in shown.items() if w is not None}),
            notes=self.notes(subject),
        )

    def report(self, subject: Subject, now: datetime | None = None) -> rules.Report:
        """The report of one call to action or event as of `now`."""
        return rules.build(self.inputs(subject, now))

    def campaign_report(self, campaign_id: int, now: datetime | None = None) -> rules.CampaignReport:
        """The campaign to date: every call to action and event that has begun, the demands, the goals."""
        now = now or clock.now()
        campaign = self.store.campaign_by_id(campaign_id)
        subjects = [s for s in self.subjects(campaign_id) if s.status != "cancelled"]
        begun = [s for s in subjects if s.starts < now]
        demands = self.store.plan.demands(campaign_id)
        updates = [self.store.plan.demand_updates(int(i)).assign(demand_id=int(i)) for i in demands["id"]]
        updates = pd.concat(updates, ignore_index=True) if updates else pd.DataFrame(
            columns=["at", "status", "note", "source_url", "evidence_uid", "demand_id"])
        start = to_datetime(campaign.starts_at, campaign.timezone)
        totals = self.store.reads.kpis(Filters(campaign_id, iso_utc(start), iso_utc(now), (), ("ours",))) \
            if start < now else None
        return rules.CampaignReport(campaign, now, [self.report(s, now) for s in begun],
                                    [s for s in subjects if s.starts >= now], demands, updates, totals)

    # -- the reports table -------------------------------------------------------------------

    @staticmethod
    def _ids(kind: str, subject_id: int) -> tuple[int | None, int | None]:
        return (subject_id, None) if kind == "action" else (None, subject_id) if kind == "event" else (None, None)

    def _row(self, campaign_id: int, kind: str, subject_id: int | None) -> dict | None:
        action_id, event_id = self._ids(kind, subject_id)
        cursor = self.conn.execute(
            "SELECT * FROM reports WHERE campaign_id = ? AND kind = ? AND action_id IS ? AND event_id IS ?",
            [campaign_id, kind, action_id, event_id])
        row = cursor.fetchone()
        return None if row is None else dict(zip([d[0] for d in cursor.description], row, strict=True))

    def _upsert(self, campaign_id: int, kind: str, subject_id: int | None, values: dict) -> None:
        now = clock.now_iso()
        action_id, event_id = self._ids(kind, subject_id)
        with self.conn:
            existing = self._row(campaign_id, kind, subject_id)
            if existing:
                values = {**values, "updated_at": now}
                self.conn.execute(f"UPDATE reports SET {', '.join(f'{k} = ?' for k in values)} WHERE id = ?",
                                  [*values.values(), existing["id"]])
            else:
                values = {"campaign_id": campaign_id, "kind": kind, "action_id": action_id, "event_id": event_id,
                          **values, "created_at": now, "updated_at": now}
                self.conn.execute(f"INSERT INTO reports ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                                  list(values.values()))

    def notes(self, subject: Subject) -> Notes | None:
        """The organiser's notes on a subject; None when none were ever saved."""
        row = self._row(subject.campaign_id, subject.kind, subject.id)
        if row is None or row["notes_updated_at"] is None:
            return None
        return Notes(**{name: row[name] for name, _ in NOTE_QUESTIONS}, updated_at=row["notes_updated_at"])

    def save_notes(self, subject: Subject, notes: Notes) -> Notes:
        """Save the five answers of the after-action review with the subject's report."""
        values = {name: str(getattr(notes, name) or "").strip() for name, _ in NOTE_QUESTIONS}
        self._upsert(subject.campaign_id, subject.kind, subject.id, {**values, "notes_updated_at": clock.now_iso()})
        return self.notes(subject)

    def save_draft(self, report: rules.Report) -> None:
        """Keep the report's figures (no post text) as drafted now, beside any notes already written."""
        figures = report.to_dict()
        self._upsert(report.subject.campaign_id, report.subject.kind, report.subject.id, {
            "windows": json.dumps(figures["windows"]), "metrics": json.dumps(figures),
            "drafted_at": iso_utc(report.generated_at)})

    def draft(self, subject: Subject) -> dict | None:
        """The figures drafted for a subject (Report.to_dict), or None."""
        row = self._row(subject.campaign_id, subject.kind, subject.id)
        return json.loads(row["metrics"]) if row and row["drafted_at"] else None

    def status(self, campaign_id: int, now: datetime | None = None) -> pd.DataFrame:
        """Each subject of a campaign: when its report is ready, whether it was drafted, whether it has notes."""
        now = now or clock.now()
        answers = ", ".join(name for name, _ in NOTE_QUESTIONS)
        saved = {(row[0], row[1] or row[2]): (row[3], any(str(a).strip() for a in row[4:])) for row in self.conn.execute(
            f"SELECT kind, action_id, event_id, drafted_at, {answers} FROM reports WHERE campaign_id = ?",
            [campaign_id]).fetchall()}
        rows = []
        for subject in self.subjects(campaign_id):
            drafted_at, has_notes = saved.get((subject.kind, subject.id), (None, False))
            if subject.status == "cancelled":
                state = "cancelled"
            elif subject.starts >= now:
                state = "not started"
            elif subject.ready_at > now:
                state = "after-window open" if subject.ends <= now else "under way"
            else:
                state = "ready"
            rows.append({"key": subject.key, "kind": subject.noun, "id": subject.id, "title": subject.title,
                         "start": subject.start, "end": subject.end, "ready_at": iso_utc(subject.ready_at),
                         "state": state, "drafted_at": drafted_at, "has_notes": has_notes})
        return pd.DataFrame(rows, columns=["key", "kind", "id", "title", "start", "end", "ready_at", "state",
                                           "drafted_at", "has_notes"])

    def due(self, now: datetime | None = None) -> list[Subject]:
        """Subjects whose after-window has closed and whose report was not drafted since."""
        now = now or clock.now()
        drafted = {(kind, action_id or event_id): at for kind, action_id, event_id, at in self.conn.execute(
            "SELECT kind, action_id, event_id, drafted_at FROM reports WHERE drafted_at IS NOT NULL")}
        found = []
        campaign_ids = [row[0] for row in self.conn.execute(
            "SELECT id FROM campaigns WHERE status != 'archived' ORDER BY id").fetchall()]
        for campaign_id in campaign_ids:
            for subject in self.subjects(campaign_id):
                at = drafted.get((subject.kind, subject.id))
                if subject.status != "cancelled" and subject.ready_at <= now and (
                        at is None or to_datetime(at) < subject.ready_at):
                    found.append(subject)
        return found

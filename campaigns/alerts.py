"""Alert rules: spikes, the opposing side overtaking, tone drops, failing sources and goals, each found once per episode.

Each rule reads the store's reads (the spike rule itself is campaigns.metrics'), finds the
episodes under way or begun in the last LOOKBACK, and names each by a stable key, so checking
again finds the same episode and stores nothing new. Pile-ons are raised by the safety desk;
they are delivered with the rest.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from campaigns import clock
from campaigns.alert_settings import Rules
from campaigns.metrics import SPIKE_BASELINE_HOURS, Filters, net_sentiment
from campaigns.model import Campaign, iso_utc, to_datetime
from campaigns.privacy import PSEUDONYM_PREFIX

LOOKBACK = timedelta(days=7)        # how far back a check looks for episodes begun
WINDOW = 24                         # hours: the trailing window share of voice, rates and tone are read over
BASELINE_DAYS = 7                   # the week before that window is the baseline
MIN_BASIS = 20                      # posts a share of voice, a rate or a tone rests on before it alerts
STALLED_INTERVALS = 3               # no run for this many intervals: the scheduler (or a source) has stopped
# The dashboard page each kind concerns (st.navigation's url path; "" is the Overview).
PAGES = {"spike": "traction", "overtaking": "traction", "tone_drop": "sentiment", "pile_on": "safety",
         "source_failing": "sources", "goal_reached": ""}
LABELS = {"spike": "Spike", "overtaking": "Opposing side overtaking", "tone_drop": "Tone drop",
          "pile_on": "Pile-on", "source_failing": "Source failing", "goal_reached": "Goal reached"}
SIDE_LABELS = {"ours": "our side", "opposing": "the opposing side"}


@dataclass(frozen=True)
class Found:
    """One episode a rule found: stored once under (campaign, kind, episode)."""

    kind: str
    episode: str
    at: str                 # when the episode began (stored form)
    detail: str             # one line: what happened, with its figures
    figures: dict = field(default_factory=dict)

    @property
    def page(self) -> str:
        return PAGES[self.kind]


@dataclass
class SourceFacts:
    """What the collectors know and the core does not: which sources are scheduled and how often,
    paid sources' budgets, and which run errors are refused credentials."""

    intervals: dict[str, int] = field(default_factory=dict)          # scheduled source -> seconds
    budgets: dict[str, tuple[int, int]] = field(default_factory=dict)  # source -> (used, budget) this month
    credential_refused: Callable[[str], bool] = lambda error: False
    scheduler_used: bool = False    # a scheduler job store exists, so runs are expected on intervals


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _fmt(value: float) -> str:
    return f"{value:.1%}"


# -- spikes --------------------------------------------------------------------------------

def episodes_of(hours: pd.Series) -> list[list[pd.Timestamp]]:
    """Consecutive hours grouped: the README's rule makes a run of spike hours one episode."""
    groups: list[list[pd.Timestamp]] = []
    for hour in sorted(pd.Timestamp(h) for h in hours):
        if groups and hour - groups[-1][-1] == pd.Timedelta(hours=1):
            groups[-1].append(hour)
        else:
            groups.append([hour])
    return groups


def spikes(store, campaign: Campaign, now: datetime) -> list[Found]:
    """Spike episodes of our side and of the opposing side (metrics' spike rule, via store.reads.spikes)."""
    found = []
    start, end = _hour(now) - LOOKBACK, _hour(now) + timedelta(hours=1)
    history = _history_from(store, campaign)
    for side in ("ours", "opposing"):
        frame = store.reads.spikes(Filters(campaign.id, iso_utc(start), iso_utc(end), sides=(side,)))
        if frame.empty:
            continue
        by_hour = frame.set_index(pd.to_datetime(frame["hour"], utc=True))
        for group in episodes_of(by_hour.index):
            if group[0] == pd.Timestamp(start):
                continue  # under way when the lookback starts: it began, and was news, before it
            if history is None or group[0] - pd.Timedelta(hours=SPIKE_BASELINE_HOURS) < history:
                continue  # the rule's week of history does not exist yet for this hour
            rows = by_hour.loc[group]
            peak_hour = rows["mentions"].idxmax()
            first = iso_utc(group[0].to_pydatetime())
            figures = {"side": side, "first_hour": first, "last_hour": iso_utc(group[-1].to_pydatetime()),
                       "hours": len(group), "peak_mentions": int(rows["mentions"].max()),
                       "peak_hour": iso_utc(peak_hour.to_pydatetime()),
                       "threshold": float(rows.loc[peak_hour, "threshold"])}
            detail = (f"{SIDE_LABELS[side].capitalize()}: {figures['peak_mentions']:,} mentions in an hour "
                      f"(usual at most {figures['threshold']:,.1f}), {len(group)} hour(s) from {first}")
            found.append(Found("spike", f"{side}:{first}", first, detail, figures))
    return found


# -- share of voice, the opposing rate and tone, per hour over a trailing window --------------

def hourly_sides(store, campaign: Campaign, now: datetime) -> pd.DataFrame:
    """Per hour, every hour present: ours and opposing mentions, our positive and negative posts."""
    end = _hour(now) + timedelta(hours=1)
    start = end - LOOKBACK - timedelta(hours=WINDOW) - timedelta(days=BASELINE_DAYS)
    frame = store.reads.hourly_frame(Filters(campaign.id, iso_utc(start), iso_utc(end), sides=("ours", "opposing")),
                                     by=("side",), sums=("mentions", "pos", "neg"))
    index = pd.date_range(pd.Timestamp(start), pd.Timestamp(end), freq="h", inclusive="left")
    wide = pd.DataFrame(index=index)
    for side in ("ours", "opposing"):
        part = frame[frame["side"] == side].set_index("hour")
        for column in ("mentions", "pos", "neg"):
            wide[f"{side}_{column}"] = part[column].reindex(index, fill_value=0).astype(int) if len(part) \
                else 0
    return wide


def _episodes(flags: pd.Series, since: pd.Timestamp) -> list[pd.Timestamp]:
    """The first hour of each run of True hours that began at or after `since`.

    The hours read go back well before `since`, so each such run's first hour is seen and stays
    its name on every later check; a run already under way at `since` began before the lookback
    and was news then.
    """
    starts = flags & ~flags.shift(1, fill_value=False)
    return [first for first in starts[starts].index if first >= since]


def _history_from(store, campaign: Campaign) -> pd.Timestamp | None:
    first, _ = store.reads.data_bounds(campaign.id)
    return pd.Timestamp(first) if first else None


def overtaking(store, campaign: Campaign, now: datetime, rules: Rules, wide: pd.DataFrame | None = None) -> list[Found]:
    """Our share of voice over 24 hours under the campaign's threshold, or the opposing side's
    last 24 hours at `opposing_rate_factor` times its daily rate over the week before."""
    wide = hourly_sides(store, campaign, now) if wide is None else wide
    since = pd.Timestamp(_hour(now) - LOOKBACK)
    ours = wide["ours_mentions"].rolling(WINDOW, min_periods=1).sum()
    opposing = wide["opposing_mentions"].rolling(WINDOW, min_periods=1).sum()
    basis = ours + opposing
    share = ours / basis.where(basis > 0)
    threshold = rules.value("share_of_voice_below")
    low = (basis >= MIN_BASIS) & (share < threshold)
    found = []
    for first in _episodes(low, since):
        at = iso_utc(first.to_pydatetime())
        figures = {"reason": "share_of_voice", "share_of_voice": round(float(share[first]), 4),
                   "ours": int(ours[first]), "opposing": int(opposing[first]), "threshold": threshold,
                   "window_hours": WINDOW}
        detail = (f"Our share of voice fell to {_fmt(share[first])} over 24 hours (ours {int(ours[first]):,}, "
                  f"opposing {int(opposing[first]):,}; alert under {_fmt(threshold)})")
        found.append(Found("overtaking", f"share:{at}", at, detail, figures))

    factor = rules.value("opposing_rate_factor")
    history = _history_from(store, campaign)
    baseline = wide["opposing_mentions"].shift(WINDOW).rolling(BASELINE_DAYS * 24, min_periods=1).sum() / BASELINE_DAYS
    # A baseline is known once the campaign has data from the start of the week it covers.
    baseline_start = pd.Series(wide.index - pd.Timedelta(hours=WINDOW + BASELINE_DAYS * 24 - 1), index=wide.index)
    known = baseline_start >= history if history is not None else pd.Series(False, index=wide.index)
    surging = known & (baseline > 0) & (opposing >= MIN_BASIS) & (opposing >= factor * baseline)
    for first in _episodes(surging, since):
        at = iso_utc(first.to_pydatetime())
        figures = {"reason": "opposing_rate", "opposing_24h": int(opposing[first]),
                   "baseline_per_day": round(float(baseline[first]), 2), "factor": factor}
        detail = (f"The opposing side posted {int(opposing[first]):,} mentions in 24 hours, "
                  f"{opposing[first] / baseline[first]:.1f}x its daily rate of the week before "
                  f"({baseline[first]:,.1f}; alert at {factor:g}x)")
        found.append(Found("overtaking", f"rate:{at}", at, detail, figures))
    return found


def tone_drop(store, campaign: Campaign, now: datetime, rules: Rules, wide: pd.DataFrame | None = None) -> list[Found]:
    """Our side's net sentiment over 24 hours `tone_drop` points or more below the week before."""
    wide = hourly_sides(store, campaign, now) if wide is None else wide
    since = pd.Timestamp(_hour(now) - LOOKBACK)
    pos = wide["ours_pos"].rolling(WINDOW, min_periods=1).sum()
    neg = wide["ours_neg"].rolling(WINDOW, min_periods=1).sum()
    base_pos = wide["ours_pos"].shift(WINDOW).rolling(BASELINE_DAYS * 24, min_periods=1).sum()
    base_neg = wide["ours_neg"].shift(WINDOW).rolling(BASELINE_DAYS * 24, min_periods=1).sum()
    current = (pos - neg) / (pos + neg).where(pos + neg > 0)
    before = (base_pos - base_neg) / (base_pos + base_neg).where(base_pos + base_neg > 0)
    drop = rules.value("tone_drop")
    fell = ((pos + neg) >= MIN_BASIS) & ((base_pos + base_neg) >= MIN_BASIS) & (before - current >= drop - 1e-9)
    found = []
    for first in _episodes(fell, since):
        at = iso_utc(first.to_pydatetime())
        now_net = net_sentiment(int(pos[first]), int(neg[first]))
        before_net = net_sentiment(int(base_pos[first]), int(base_neg[first]))
        figures = {"net_sentiment": round(now_net, 3), "baseline_net_sentiment": round(before_net, 3),
                   "scored_posts": int(pos[first] + neg[first]), "drop_at": drop}
        detail = (f"Our net sentiment over 24 hours is {now_net:+.2f} against {before_net:+.2f} the week before "
                  f"({int(pos[first] + neg[first]):,} positive and negative posts; alert at a drop of {drop:g})")
        found.append(Found("tone_drop", at, at, detail, figures))
    return found


# -- sources -------------------------------------------------------------------------------

def listens_to(campaign: Campaign, source: str) -> bool:
    return not campaign.platforms or source in campaign.platforms


def source_failing(store, campaign: Campaign, now: datetime, rules: Rules, facts: SourceFacts) -> list[Found]:
    """Errors on a source's last N runs, a refused credential, a budget nearly spent, no run for
    three intervals (for every source at once: the scheduler is not running)."""
    if campaign.is_demo:
        return []
    found = []
    needed = rules.value("failing_runs")
    last_started = store.alerts.last_started(campaign.id)
    sources = sorted(s for s in set(facts.intervals) | set(last_started) if listens_to(campaign, s))
    for source in sources:
        runs = store.alerts.recent_runs(source, campaign.id, limit=500)
        streak = []
        for run in runs:
            if run["status"] != "error":
                break
            streak.append(run)
        if streak:
            # Named by the run the streak began with: later failures are the same episode.
            first = streak[-1]
            refused = facts.credential_refused(streak[0]["error"] or "")
            figures = {"source": source, "failed_runs": len(streak), "since": first["started_at"],
                       "last_error": _one_line(streak[0]["error"])}
            if refused:
                found.append(Found("source_failing", f"credential:{source}:{first['id']}", first["started_at"],
                                   f"{source} refused its credential: {figures['last_error']}",
                                   {**figures, "reason": "credential"}))
            elif len(streak) >= needed:
                found.append(Found("source_failing", f"errors:{source}:{first['id']}", first["started_at"],
                                   f"{source}: the last {len(streak)} runs failed (since {first['started_at']}); "
                                   f"last error: {figures['last_error']}", {**figures, "reason": "errors"}))
    warning = rules.value("budget_warning")
    month = now.strftime("%Y-%m")
    for source, (used, budget) in sorted(facts.budgets.items()):
        if listens_to(campaign, source) and budget and used >= warning * budget:
            found.append(Found(
                "source_failing", f"budget:{source}:{month}", iso_utc(now),
                f"{source} has used {used:,} of its {budget:,} posts this month ({_fmt(used / budget)}; "
                f"alert at {_fmt(warning)}): collection stops when it is spent",
                {"source": source, "reason": "budget", "used": used, "budget": budget, "month": month}))
    if facts.scheduler_used:
        stalled = {}
        for source, seconds in facts.intervals.items():
            last = last_started.get(source)
            if listens_to(campaign, source) and last and now - to_datetime(last) > timedelta(
                    seconds=STALLED_INTERVALS * seconds):
                stalled[source] = last
        expected = [s for s in facts.intervals if listens_to(campaign, s) and last_started.get(s)]
        if stalled and len(stalled) == len(expected):
            latest = max(stalled.values())
            found.append(Found(
                "source_failing", f"scheduler:{latest}", latest,
                f"No collection run since {latest} for any source ({', '.join(sorted(stalled))}): "
                "is `groundswell schedule` running?",
                {"reason": "scheduler", "last_run": latest, "sources": sorted(stalled)}))
        else:
            for source, last in sorted(stalled.items()):
                found.append(Found(
                    "source_failing", f"stalled:{source}:{last}", last,
                    f"{source} has not run since {last} (every {facts.intervals[source] // 60} min expected)",
                    {"source": source, "reason": "stalled", "last_run": last,
                     "interval_seconds": facts.intervals[source]}))
    return found


def _one_line(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "no error recorded").strip()[:300]


# -- goals ---------------------------------------------------------------------------------

def goals(store, campaign: Campaign, now: datetime) -> list[Found]:
    """Our side's mentions or potential reach since the campaign started reaching its goal."""
    if not (campaign.goal_mentions or campaign.goal_reach):
        return []
    start = to_datetime(campaign.starts_at, campaign.timezone).replace(minute=0, second=0)
    totals = store.reads.kpis(Filters(campaign.id, iso_utc(start), iso_utc(_hour(now) + timedelta(hours=1)),
                                      sides=("ours",)))
    found = []
    for name, label, value, goal in (("mentions", "mentions", totals.mentions, campaign.goal_mentions),
                                     ("reach", "potential reach", totals.potential_reach, campaign.goal_reach)):
        if goal and value is not None and value >= goal:
            found.append(Found("goal_reached", f"{name}:{goal}", iso_utc(now),
                               f"Our {label} since the campaign started reached {value:,} (goal {goal:,})",
                               {"goal": name, "value": value, "target": goal}))
    return found


# -- the check -----------------------------------------------------------------------------

def find(store, campaign: Campaign, facts: SourceFacts | None = None, now: datetime | None = None) -> list[Found]:
    """Every episode the rules see for one campaign now."""
    now = now or clock.now()
    rules = store.alerts.rules(campaign.id)
    wide = hourly_sides(store, campaign, now)
    return [*spikes(store, campaign, now), *overtaking(store, campaign, now, rules, wide),
            *tone_drop(store, campaign, now, rules, wide),
            *source_failing(store, campaign, now, rules, facts or SourceFacts()), *goals(store, campaign, now)]


def check(store, campaigns: list[Campaign] | None = None, facts: SourceFacts | None = None,
          now: datetime | None = None) -> list[dict]:
    """Raise what the rules find for each active campaign; returns the alerts stored for the first time."""
    now = now or clock.now()
    raised = []
    for campaign in campaigns if campaigns is not None else store.campaigns(include_archived=False):
        if campaign.status != "active":
            continue
        for found in find(store, campaign, facts, now):
            alert_id, new = store.alerts.raise_alert(campaign.id, found.kind, episode=found.episode, at=found.at,
                                                     detail=found.detail, figures=found.figures, page=found.page)
            if new:
                raised.append(store.alerts.alert(alert_id))
    return raised


# -- what a message may say ----------------------------------------------------------------

_PSEUDONYM_RE = re.compile(rf"\b{re.escape(PSEUDONYM_PREFIX)}[0-9a-f]{{6,}}\b")
_WORD_RE = re.compile(r"[@\w][\w.@:-]*\w|\w")


def without_authors(store, campaign_id: int, text: str) -> str:
    """`text` with every author of the campaign (a handle or a pseudonym, as stored) replaced by
    'an author': a message names no one who posted."""
    text = _PSEUDONYM_RE.sub("an author", text)
    words = {w.lstrip("@") for w in _WORD_RE.findall(text)}
    words |= {w.lower() for w in words}
    authors = store.alerts.author_keys_among(campaign_id, words)
    for author in sorted(authors, key=len, reverse=True):
        text = re.sub(rf"@?(?<![\w@]){re.escape(author)}(?![\w@])", "an author", text, flags=re.IGNORECASE)
    return text


def local_time(stored: str, tz: str) -> str:
    moment = to_datetime(stored).astimezone(ZoneInfo(tz))
    return f"{moment:%a %d %b %Y %H:%M} ({tz})"


def pile_on_detail(alert: dict) -> str:
    """The safety desk's pile-on in words from its figures, without who took part."""
    figures = dict(alert.get("figures") or {})
    if not figures:
        try:
            parsed = json.loads(alert.get("detail") or "")
            figures = parsed if isinstance(parsed, dict) else {}
        except ValueError:
            figures = {}
    account = figures.get("account") or figures.get("target") or figures.get("protected")
    authors = figures.get("authors") if not isinstance(figures.get("authors"), list) else len(figures["authors"])
    authors = authors if authors is not None else figures.get("author_count")
    mentions = figures.get("mentions") or figures.get("count") or figures.get("abusive")
    if isinstance(mentions, list):
        mentions = len(mentions)
    first = figures.get("first_at") or figures.get("first")
    last = figures.get("last_at") or figures.get("last")
    if account or authors or mentions:
        parts = [f"on {account}" if account else None,
                 f"{authors} authors" if authors is not None else None,
                 f"{mentions} abusive mentions" if mentions is not None else None,
                 f"from {first} to {last}" if first and last else None]
        return "Pile-on " + ", ".join(p for p in parts if p)
    # Free text may name who took part or quote them: it stays on the Safety page.
    return "Pile-on on a protected account (the Safety page has the details)"


def render(store, alert: dict, campaign: Campaign, tz: str, dashboard_url: str) -> tuple[str, str]:
    """A message's title and body: what happened, the figures, the campaign and a link to the page.

    Built from the alert's own words and figures (never a post's text), then stripped of any
    author, so neither abusive text nor a pseudonymised handle can leave in it.
    """
    kind = alert["kind"]
    label = LABELS.get(kind, kind)
    detail = pile_on_detail(alert) if kind == "pile_on" else alert["detail"]
    page = alert.get("page") or PAGES.get(kind, "")
    link = f"{dashboard_url.rstrip('/')}/{page}?campaign={campaign.slug}"
    title = without_authors(store, campaign.id, f"{label}: {campaign.name}")
    body = without_authors(store, campaign.id, "\n".join([
        f"{label} in {campaign.name} ({campaign.slug})",
        detail,
        f"Began {local_time(alert['at'], tz)}. Alert {alert['id']}.",
        f"Open it: {link}",
        f"Acknowledge it there or with: groundswell alerts ack {alert['id']}",
    ]))
    return title, body

"""The campaigns YAML file: read it into Campaigns (errors carry line numbers) and write it back."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import yaml

from campaigns.alert_settings import AlertSettings
from campaigns.errors import CampaignFileError, GroundswellError
from campaigns.model import (
    SIDES,
    Campaign,
    SafetySettings,
    Tracker,
    classify_term,
    parse_timezone,
    parse_when,
    term_of,
)

FIELDS = {"slug", "name", "description", "status", "starts", "ends", "timezone", "goals",
          "retention_days", "platforms", "track", "exclude", "feeds", "safety", "alerts"}

EXAMPLE = """\
# Groundswell campaigns. Load with: groundswell campaign import campaigns.yaml
# A term starting with # is a hashtag, with @ an account, anything else a keyword or phrase
# (matched as whole words, case-insensitively).
campaigns:
  - slug: antisocial            # a-z, 0-9 and -, unique
    name: "#AntiSocialMedia"
    description: Challenge the abuse aimed at student officers
    starts: 2026-03-01          # date or ISO timestamp
    ends: 2026-04-30            # optional
    timezone: Europe/London     # IANA name; default UTC
    goals: {mentions: 5000, reach: 2000000}   # optional
    retention_days: 90          # optional: text and authors older than this are purged
    platforms: [x, reddit, mastodon, bluesky, rss]   # optional, default all
    track:
      ours: ["#AntiSocialMedia", "#LoveSUs", "online abuse"]
      opposing: ["#FreeSpeechSU"]
      monitor: ["yik yak"]
      protect: ["@nusuk"]
    exclude: [giveaway]
    feeds: []                   # optional RSS / news feed URLs
    safety:                     # optional: the Safety page's settings
      threshold: 0.2            # offensive-language score that counts as offensive (0.1 to 1)
      pile_on: {authors: 5, minutes: 60}   # distinct authors within minutes that make a pile-on
      signposting: |            # shown on the Safety page (Markdown)
        Report abuse to the SU's safeguarding team: safeguarding@example.org, 01234 567890.
    # alerts:                   # optional: thresholds, and where alerts go (README, "Alerts")
    #   share_of_voice_below: 0.5
    #   destinations:
    #     - name: team
    #       url: "mailtos://alerts:${GROUNDSWELL_SMTP_PASSWORD}@smtp.example.org?to=team@example.org"
    #       quiet_hours: "22:00-07:00"
    #       timezone: Europe/London
"""


class _LineLoader(yaml.SafeLoader):
    """A safe loader that remembers the line each mapping starts on, and the line of each key."""


def _construct_mapping(loader, node):
    mapping = _LineDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.key_lines = {}
    for key_node, _ in node.value:
        try:
            mapping.key_lines[loader.construct_object(key_node, deep=True)] = key_node.start_mark.line + 1
        except TypeError:  # an unhashable key; construct_mapping has already refused it
            pass
    return mapping


class _LineDict(dict):
    line = 0
    key_lines: dict = {}


class _FieldError(CampaignFileError):
    """A problem with one field of a campaign, reported at that field's line."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
# Dates stay text so that our own parser judges them (YAML's raises on 2026-02-30 with no line).
_LineLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))


def load_campaigns(path: str | Path) -> list[Campaign]:
    """Parse and validate a campaigns file; any problem is one CampaignFileError naming the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CampaignFileError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CampaignFileError(f"cannot read {path}: {error}") from None
    try:
        document = yaml.load(text, Loader=_LineLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f" line {mark.line + 1}" if mark else ""
        raise CampaignFileError(f"{path}:{where}: not valid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise CampaignFileError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("campaigns"), list):
        raise CampaignFileError(f"{path}: expected a top-level 'campaigns:' list")
    campaigns, slugs = [], set()
    for entry in document["campaigns"]:
        line = getattr(entry, "line", 0)
        try:
            campaign = campaign_from_dict(entry)
        except _FieldError as error:
            raise CampaignFileError(f"{path}: line {_line_of(entry, error.key, line)}: {error.key}: {error}") from None
        except GroundswellError as error:
            raise CampaignFileError(f"{path}: line {line}: {error}") from None
        if campaign.slug in slugs:
            raise CampaignFileError(f"{path}: line {line}: slug '{campaign.slug}' appears twice")
        slugs.add(campaign.slug)
        campaigns.append(campaign)
    return campaigns


def _line_of(entry, dotted: str, default: int) -> int:
    """The line of a (dotted) field inside a campaign: `goals.mentions` is the line of mentions."""
    line, mapping = default, entry
    for key in dotted.split("."):
        if not isinstance(mapping, _LineDict) or key not in mapping.key_lines:
            break
        line = mapping.key_lines[key]
        mapping = mapping.get(key)
    return line


def _list_of_strings(value, label: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        raise _FieldError(label, "must be a list of strings")
    return [str(v) for v in value]


def _text(entry: dict, key: str) -> str | None:
    """A field that must be text (a number is taken as its digits); a list or a mapping is refused."""
    value = entry.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float | date):
        kind = "a list" if isinstance(value, list) else "a mapping" if isinstance(value, dict) else "true/false" \
            if isinstance(value, bool) else type(value).__name__
        raise _FieldError(key, f"must be text, not {kind} ({value!r})"[:200])
    return str(value)


def _whole(value, key: str) -> int | None:
    """A positive whole number, or None; true/false, text and fractions are refused."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _FieldError(key, f"must be a positive whole number, not {value!r}"[:200])
    return value


def campaign_from_dict(entry) -> Campaign:
    """One campaign from its file form."""
    if not isinstance(entry, dict):
        raise CampaignFileError("each campaign must be a mapping with slug, name, starts, track")
    unknown = set(entry) - FIELDS
    if unknown:
        raise CampaignFileError(f"unknown field(s): {', '.join(sorted(map(str, unknown)))}")
    for required in ("slug", "name", "starts"):
        if entry.get(required) in (None, ""):
            raise CampaignFileError(f"campaign needs '{required}'")
    for key in ("slug", "name", "description", "status", "timezone", "starts", "ends"):
        _text(entry, key)
    timezone = parse_timezone(entry.get("timezone") or "UTC")
    goals = entry.get("goals") or {}
    if not isinstance(goals, dict) or set(goals) - {"mentions", "reach"}:
        raise _FieldError("goals", "takes mentions and reach, e.g. {mentions: 5000, reach: 2000000}")
    for goal in ("mentions", "reach"):
        _whole(goals.get(goal), f"goals.{goal}")
    retention_days = _whole(entry.get("retention_days"), "retention_days")
    track = entry.get("track") or {}
    if not isinstance(track, dict):
        raise CampaignFileError("'track' must map sides (ours, opposing, monitor, protect) to terms")
    trackers = []
    for side, terms in track.items():
        if side not in SIDES:
            raise CampaignFileError(f"unknown side '{side}' under track (one of: {', '.join(SIDES)})")
        for term in _list_of_strings(terms, f"track.{side}"):
            kind, value = classify_term(term)
            trackers.append(Tracker(kind=kind, value=value, side=side))
    feeds = _list_of_strings(entry.get("feeds"), "feeds")
    for feed in feeds:
        if not re.match(r"^https?://[^\s/]+", feed):
            raise _FieldError("feeds", f"'{feed}' is not a feed URL (it starts with http:// or https://)")
    return Campaign(
        safety=_safety_from(entry.get("safety")),
        slug=str(entry["slug"]),
        name=str(entry["name"]),
        description=str(entry.get("description") or ""),
        status=str(entry.get("status") or "active"),
        starts_at=parse_when(entry["starts"], timezone),
        ends_at=parse_when(entry["ends"], timezone) if entry.get("ends") else None,
        timezone=timezone,
        goal_mentions=goals.get("mentions"),
        goal_reach=goals.get("reach"),
        retention_days=retention_days,
        platforms=_list_of_strings(entry.get("platforms"), "platforms"),
        exclude=_list_of_strings(entry.get("exclude"), "exclude"),
        feeds=feeds,
        trackers=trackers,
        alerts=_alerts(entry),
    ).validate()


def _safety_from(value) -> SafetySettings:
    """The `safety:` block: threshold, pile_on {authors, minutes}, signposting."""
    if value is None:
        return SafetySettings()
    if not isinstance(value, dict) or set(value) - {"threshold", "pile_on", "signposting"}:
        raise CampaignFileError("'safety' takes threshold, pile_on and signposting")
    pile_on = value.get("pile_on") or {}
    if not isinstance(pile_on, dict) or set(pile_on) - {"authors", "minutes"}:
        raise CampaignFileError("'safety.pile_on' takes authors and minutes")
    signposting = value.get("signposting") or ""
    if not isinstance(signposting, str):
        raise CampaignFileError("'safety.signposting' must be text")
    return SafetySettings(offensive_threshold=value.get("threshold"), pile_on_authors=pile_on.get("authors"),
                          pile_on_minutes=pile_on.get("minutes"), signposting=signposting.strip()).validate()


def _safety_for_file(safety: SafetySettings) -> dict:
    entry: dict = {}
    if safety.offensive_threshold is not None:
        entry["threshold"] = safety.offensive_threshold
    pile_on = {k: v for k, v in (("authors", safety.pile_on_authors), ("minutes", safety.pile_on_minutes)) if v}
    if pile_on:
        entry["pile_on"] = pile_on
    if safety.signposting:
        entry["signposting"] = safety.signposting
    return entry
def _alerts(entry) -> dict | None:
    """The `alerts:` mapping, checked now so that a bad destination names its campaign's line."""
    if "alerts" not in entry:
        return None
    return AlertSettings.from_dict(entry["alerts"] or {}).to_dict()


def _when_for_file(stored: str):
    """A stored date goes back as a YAML date; an instant as an ISO timestamp string."""
    if len(stored) == 10:
        return date.fromisoformat(stored)
    return datetime.fromisoformat(stored.replace("Z", "+00:00"))


def campaign_to_dict(campaign: Campaign) -> dict:
    """One campaign in file form; load(dump(c)) gives c back."""
    entry: dict = {"slug": campaign.slug, "name": campaign.name}
    if campaign.description:
        entry["description"] = campaign.description
    if campaign.status != "active":
        entry["status"] = campaign.status
    entry["starts"] = _when_for_file(campaign.starts_at)
    if campaign.ends_at:
        entry["ends"] = _when_for_file(campaign.ends_at)
    entry["timezone"] = campaign.timezone
    goals = {k: v for k, v in (("mentions", campaign.goal_mentions), ("reach", campaign.goal_reach)) if v}
    if goals:
        entry["goals"] = goals
    if campaign.retention_days:
        entry["retention_days"] = campaign.retention_days
    if campaign.platforms:
        entry["platforms"] = list(campaign.platforms)
    track: dict[str, list[str]] = {}
    for tracker in campaign.trackers:
        track.setdefault(tracker.side, []).append(term_of(tracker.kind, tracker.value))
    entry["track"] = track
    if campaign.exclude:
        entry["exclude"] = list(campaign.exclude)
    if campaign.feeds:
        entry["feeds"] = list(campaign.feeds)
    if not campaign.safety.is_default():
        entry["safety"] = _safety_for_file(campaign.safety)
    if campaign.alerts:
        entry["alerts"] = campaign.alerts
    return entry


def dump_campaigns(campaigns: list[Campaign]) -> str:
    """The YAML text of a campaigns file."""
    return yaml.safe_dump({"campaigns": [campaign_to_dict(c) for c in campaigns]},
                          sort_keys=False, allow_unicode=True, default_flow_style=None, width=100)

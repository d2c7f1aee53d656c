"""The safety desk's rules: protected accounts, the pile-on rule, the scorer measured on reviews, evidence that verifies.

Everything here is pure or takes the store as an argument; the SQL is in campaigns/store/safety.py.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from campaigns import clock
from campaigns.errors import ValidationError
from campaigns.matching import normalise_account
from campaigns.metrics import OFFENSIVE_THRESHOLD, PILE_ON_AUTHORS, PILE_ON_MINUTES
from campaigns.model import Campaign, iso_utc, to_datetime
from campaigns.targeting import context_score

# How far back a check after a collection run looks: X's recent search reaches 7 days back, so
# a first run can store posts that old.
CHECK_LOOKBACK = timedelta(days=8)
EVIDENCE_FILES = ("evidence.csv", "evidence.json")
MANIFEST = "manifest.json"
EVIDENCE_COLUMNS = ("uid", "url", "created_at_utc", "created_at_local", "timezone", "platform", "author",
                    "protected_accounts", "via", "text", "offensive_language_score", "score_in_context",
                    "verdict", "verdict_by", "exported_by", "exported_at")
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def threshold_of(campaign: Campaign) -> float:
    """The campaign's offensive-language threshold (metrics.OFFENSIVE_THRESHOLD unless set)."""
    return campaign.safety.offensive_threshold or OFFENSIVE_THRESHOLD


def pile_on_rule(campaign: Campaign) -> tuple[int, int]:
    """(distinct authors, minutes) of the campaign's pile-on rule."""
    return (campaign.safety.pile_on_authors or PILE_ON_AUTHORS, campaign.safety.pile_on_minutes or PILE_ON_MINUTES)


def protected_trackers(campaign: Campaign) -> dict[int, str]:
    """Tracker id -> '@handle' of each account the campaign protects."""
    return {t.id: f"@{t.value}" for t in campaign.trackers if t.side == "protect" and t.kind == "account"}


@dataclass
class ProtectedAccounts:
    """Every listening campaign's protected accounts and thresholds, for matching posts as they are stored."""

    thresholds: dict[int, float] = field(default_factory=dict)
    handles: dict[str, list[int]] = field(default_factory=dict)   # normalised handle -> tracker ids
    campaign_of: dict[int, int] = field(default_factory=dict)     # tracker id -> campaign id

    @classmethod
    def of(cls, campaigns: Iterable[Campaign]) -> ProtectedAccounts:
        accounts = cls()
        for campaign in campaigns:
            accounts.thresholds[campaign.id] = threshold_of(campaign)
            for tracker_id, handle in protected_trackers(campaign).items():
                accounts.handles.setdefault(normalise_account(handle), []).append(tracker_id)
                accounts.campaign_of[tracker_id] = campaign.id
        return accounts

    def threshold(self, campaign_id: int) -> float:
        return self.thresholds.get(campaign_id, OFFENSIVE_THRESHOLD)


# -- pile-ons ---------------------------------------------------------------------------------

@dataclass
class Episode:
    """One pile-on on one protected account: the offensive mentions in it, their authors, first and last."""

    tracker_id: int
    first: str
    last: str
    authors: list[str]
    uids: list[str]

    def overlaps(self, other_first: str, other_last: str, minutes: int) -> bool:
        """Whether another span on the same account is part of this episode (less than `minutes` apart)."""
        gap = timedelta(minutes=minutes)
        return to_datetime(self.first) - gap <= to_datetime(other_last) and \
            to_datetime(other_first) <= to_datetime(self.last) + gap


def pile_on_episodes(rows: Iterable[tuple[int, str, str | None, str]], authors: int, minutes: int) -> list[Episode]:
    """Pile-on episodes in offensive mentions (tracker id, created_at, author, uid), any order.

    A window of `minutes` (first to last mention, inclusive) that holds mentions from at least
    `authors` distinct authors qualifies; qualifying mentions less than `minutes` apart are one
    episode. A post with no known author counts as an author of its own.
    """
    by_tracker: dict[int, list[tuple[str, str, str]]] = {}
    for tracker_id, created_at, author, uid in rows:
        by_tracker.setdefault(tracker_id, []).append((created_at, author or f"unknown:{uid}", uid))
    span = timedelta(minutes=minutes)
    episodes = []
    for tracker_id, events in sorted(by_tracker.items()):
        events.sort()
        times = [to_datetime(created_at) for created_at, _, _ in events]
        marked: list[int] = []
        counts: Counter[str] = Counter()
        start = 0
        for index, (_, author, _) in enumerate(events):
            counts[author] += 1
            while times[index] - times[start] > span:
                counts[events[start][1]] -= 1
                if not counts[events[start][1]]:
                    del counts[events[start][1]]
                start += 1
            if len(counts) >= authors:
                after = marked[-1] + 1 if marked else 0
                marked.extend(range(max(start, after), index + 1))
        current: list[int] = []
        for index in marked:
            if current and times[index] - times[current[-1]] > span:
                episodes.append(_episode(tracker_id, events, current))
                current = []
            current.append(index)
        if current:
            episodes.append(_episode(tracker_id, events, current))
    return episodes


def _episode(tracker_id: int, events: list[tuple[str, str, str]], indexes: list[int]) -> Episode:
    chosen = [events[i] for i in indexes]
    return Episode(tracker_id=tracker_id, first=chosen[0][0], last=chosen[-1][0],
                   authors=sorted({author for _, author, _ in chosen}), uids=[uid for _, _, uid in chosen])


def episode_detail(episode: Episode, account: str, authors: int, minutes: int, tz: str) -> dict:
    """What a pile-on alert says: a sentence, then the episode's figures."""
    zone = ZoneInfo(tz)
    first, last = to_datetime(episode.first).astimezone(zone), to_datetime(episode.last).astimezone(zone)
    summary = (f"{len(episode.authors)} authors sent {len(episode.uids)} offensive mentions to {account} "
               f"between {first:%d %b %H:%M} and {last:%d %b %H:%M} ({tz})")
    return {"summary": summary, "account": account, "tracker_id": episode.tracker_id,
            "author_count": len(episode.authors), "mentions": len(episode.uids), "first": episode.first,
            "last": episode.last, "rule": {"authors": authors, "minutes": minutes}, "authors": episode.authors,
            "uids": episode.uids}


def merged(detail: dict, episode: Episode) -> Episode:
    """An episode grown by what an earlier check saw of it (checks look back a fixed time)."""
    uids = list(dict.fromkeys([*detail.get("uids", []), *episode.uids]))
    return Episode(tracker_id=episode.tracker_id, first=min(detail["first"], episode.first),
                   last=max(detail["last"], episode.last),
                   authors=sorted(set(detail.get("authors", [])) | set(episode.authors)), uids=uids)


def check_pile_ons(store, campaign: Campaign, *, since: str | None = None, everything: bool = False) -> list[dict]:
    """Find pile-on episodes on the campaign's protected accounts and raise one alert per episode.

    Looks back CHECK_LOOKBACK (or from `since`, or over everything); an episode seen by an
    earlier check is the same alert, grown. Returns the alerts raised or grown, as details.
    """
    accounts = protected_trackers(campaign)
    if not accounts:
        return []
    authors, minutes = pile_on_rule(campaign)
    if everything:
        since = None
    elif since is None:
        since = iso_utc(clock.now() - CHECK_LOOKBACK)
    rows = store.safety.offensive_aimed(campaign.id, threshold_of(campaign), since)
    episodes = pile_on_episodes(rows, authors, minutes)
    return store.safety.record_pile_ons(
        campaign.id, episodes, lambda e: episode_detail(e, accounts.get(e.tracker_id, "?"), authors, minutes,
                                                       campaign.timezone), minutes)


def check_all(store) -> dict[str, list[dict]]:
    """check_pile_ons for every campaign that is listening and protects an account."""
    return {c.slug: check_pile_ons(store, c) for c in store.campaigns(include_archived=False)
            if protected_trackers(c)}


# -- the scorer measured on a campaign's own reviews -----------------------------------------

@dataclass(frozen=True)
class Measured:
    """Precision and recall of a scorer against reviewers' verdicts, with the counts they rest on."""

    reviewed: int
    abusive: int
    flagged: int
    agreed: int

    @property
    def precision(self) -> float | None:
        return self.agreed / self.flagged if self.flagged else None

    @property
    def recall(self) -> float | None:
        return self.agreed / self.abusive if self.abusive else None


def measure(reviews: Sequence[tuple[float | None, str, bool, bool, str]], threshold: float) -> dict[str, Measured]:
    """The scorer in context and the model alone, against verdicts.

    Each review is (model score, text, aimed at a protected account, on our side, verdict).
    """
    results = {}
    for name in ("in context", "model alone"):
        abusive = flagged = agreed = reviewed = 0
        for model_score, text, aimed, ours, verdict in reviews:
            score = context_score(model_score, text, aimed=aimed, our_side=ours) if name == "in context" else model_score
            if score is None:
                continue
            reviewed += 1
            is_abusive = verdict == "abusive"
            is_flagged = score >= threshold
            abusive += is_abusive
            flagged += is_flagged
            agreed += is_abusive and is_flagged
        results[name] = Measured(reviewed, abusive, flagged, agreed)
    return results


def hidden(score: float | None, threshold: float) -> bool:
    """Whether a post's text is hidden until someone reveals it: scored offensive, or judged so."""
    return score is not None and score >= threshold


# -- evidence -------------------------------------------------------------------------------

def csv_safe(value) -> str:
    """A CSV cell a spreadsheet shows as text: one starting a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def evidence_records(rows: Iterable[dict], campaign: Campaign, exporter: str, exported_at: str) -> list[dict]:
    """One record per mention, as it goes into the CSV and the JSON; every value is text or null."""
    if not exporter.strip():
        raise ValidationError("an evidence export needs the name of who exports it")
    zone = ZoneInfo(campaign.timezone)
    threshold = threshold_of(campaign)
    records = []
    for row in rows:
        created = to_datetime(row["created_at"])
        verdict = row.get("verdict")
        if verdict:
            verdict_text = f"{verdict.replace('_', ' ')} (reviewer)"
        else:
            verdict_text = "offensive (scorer)" if hidden(row.get("score"), threshold) else "not offensive (scorer)"
        records.append({
            "uid": row["uid"], "url": row.get("url"), "created_at_utc": row["created_at"],
            "created_at_local": created.astimezone(zone).isoformat(), "timezone": campaign.timezone,
            "platform": row["platform"], "author": row.get("author_key"),
            "protected_accounts": row.get("accounts") or "", "via": row.get("via") or "",
            "text": row.get("text"),
            "offensive_language_score": None if row.get("model_score") is None else f"{row['model_score']:.4f}",
            "score_in_context": None if row.get("score") is None else f"{row['score']:.4f}",
            "verdict": verdict_text, "verdict_by": row.get("verdict_by"),
            "exported_by": exporter, "exported_at": exported_at,
        })
    return records


def record_digest(record: dict) -> str:
    """SHA-256 of a record's canonical JSON (keys sorted, UTF-8, no spaces)."""
    canonical = json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def evidence_files(records: list[dict], campaign: Campaign, exporter: str, exported_at: str) -> dict[str, bytes]:
    """The evidence folder's files: CSV, JSON and a manifest with a SHA-256 of each record and file."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(EVIDENCE_COLUMNS)
    for record in records:
        writer.writerow([csv_safe(record[column]) for column in EVIDENCE_COLUMNS])
    files = {
        "evidence.csv": buffer.getvalue().encode("utf-8"),
        "evidence.json": (json.dumps(records, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
    }
    manifest = {
        "what": "Groundswell evidence export: mentions aimed at protected accounts",
        "campaign": campaign.slug, "campaign_name": campaign.name, "timezone": campaign.timezone,
        "exported_by": exporter, "exported_at": exported_at, "records": len(records),
        "record_sha256": [{"uid": r["uid"], "sha256": record_digest(r)} for r in records],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        "how_to_verify": "SHA-256 of each file as written, and of each record of evidence.json as JSON with "
                         "sorted keys, UTF-8 and no spaces; `groundswell evidence verify FOLDER` checks both.",
    }
    files[MANIFEST] = (json.dumps(manifest, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    return files


def write_evidence(folder: str | Path, files: dict[str, bytes]) -> Path:
    """Write the files into a new or empty folder; returns the folder."""
    folder = Path(folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValidationError(f"{folder} exists and is not an empty folder; evidence goes into a new one")
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


def zipped(files: dict[str, bytes]) -> bytes:
    """The evidence files as one zip, for a download."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def verify_evidence(folder: str | Path) -> list[str]:
    """What does not match the manifest in an evidence folder; empty when everything verifies."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return [f"{folder / MANIFEST}: missing"]
    except (OSError, ValueError) as error:
        return [f"{folder / MANIFEST}: unreadable ({error})"]
    problems = []
    for name, expected in sorted(manifest.get("files", {}).items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif hashlib.sha256(path.read_bytes()).hexdigest() != expected:
            problems.append(f"{name}: SHA-256 differs from the manifest (the file was changed)")
    try:
        records = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return problems + [f"evidence.json: unreadable ({error})"]
    expected_records = manifest.get("record_sha256", [])
    if len(records) != len(expected_records):
        problems.append(f"evidence.json: {len(records)} records, the manifest lists {len(expected_records)}")
    for number, (record, expected) in enumerate(zip(records, expected_records, strict=False), start=1):
        if record.get("uid") != expected.get("uid") or record_digest(record) != expected.get("sha256"):
            problems.append(f"evidence.json: record {number} ({expected.get('uid')}) differs from the manifest")
    try:
        with (folder / "evidence.csv").open(encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except OSError as error:
        return problems + [f"evidence.csv: unreadable ({error})"]
    if len(rows) - 1 != len(expected_records):
        problems.append(f"evidence.csv: {len(rows) - 1} rows, the manifest lists {len(expected_records)}")
    return problems

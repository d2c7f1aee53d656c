"""The generated demo data set: three campaigns drawn from real advocacy situations, deterministic for a seed.

Everything here is invented and labelled so (`is_demo` on campaigns and mentions, example.org
links, "demo" in every campaign description). It is written through the same store API a
collector uses, and scored by the same enrichment, so every number the dashboard shows for it
is computed the way it would be for real data.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from campaigns import clock, safety
from campaigns.model import Campaign, Mention, SafetySettings, Tracker, iso_utc
from campaigns.privacy import pseudonym
from campaigns.settings import Settings
from campaigns.store import Store, UpsertResult
from collectors.enrich import score_texts
from demo.moments import Moment, moment_time
from demo.plan import load_plan

PLATFORM_WEIGHTS = {"x": 0.42, "bluesky": 0.22, "mastodon": 0.2, "reddit": 0.16}
SUBREDDITS = {"r/unitedkingdom": 4_600_000, "r/GreatBritishMemes": 1_100_000, "r/UniUK": 310_000,
              "r/london": 1_400_000, "r/CasualUK": 2_900_000, "r/LabourUK": 95_000}
REPOST_SHARE = {"x": 0.35, "bluesky": 0.25, "mastodon": 0.3, "reddit": 0.0}


@dataclass
class DemoCampaign:
    """A demo campaign: its definition, its voices, and the moments that shape its curve."""

    campaign: Campaign
    share: float
    moments: list[Moment]
    texts: dict[str, list[str]]
    tags: dict[str, list[str]]
    side_weights: dict[str, float]
    abusive_share: float = 0.0
    protected: list[str] = field(default_factory=list)


OUR_TEXTS = [
    "Proud of every officer who keeps showing up for students despite the online abuse {tag}",
    "Nobody should be abused online for doing their job. Stand with our officers {tag}",
    "Flooding the feed with some love for the people who run our union {tag} {tag2}",
    "Thank you to the welfare team, you are brilliant and appreciated {tag}",
    "Online abuse is not free speech. It is harassment, and it has to stop {tag}",
    "Great turnout at the stall today, so many kind messages written for officers {tag}",
    "If you've ever been piled on you know how much it hurts. Be kind {tag}",
    "Our SU officers are students too. Treat them with respect {tag} {tag2}",
    "Sick of seeing hateful comments aimed at our reps. Report it, don't share it {tag}",
    "Happy to support this campaign, well done everyone involved {tag}",
    "Reminder that the report-abuse form is open and confidential {tag}",
    "Honestly the best thing about this week has been all the positive posts {tag2}",
]
OPPOSING_TEXTS = [
    "This campaign is just an excuse to silence criticism {tag}",
    "Students have every right to criticise their union {tag}",
    "Calling every complaint 'abuse' is ridiculous and dishonest {tag}",
    "The SU should answer questions instead of hiding behind hashtags {tag}",
    "Another pointless campaign paid for by our fees {tag}",
    "Free speech matters more than hurt feelings {tag}",
    "Why is the union spending time on this instead of rent? {tag}",
]
MONITOR_TEXTS = [
    "Anyone else seen what's going round on {phrase} about the union?",
    "The {phrase} threads about campus are getting out of hand",
    "Saw a screenshot from {phrase} today, not sure what to make of it",
]
ABUSIVE_TEXTS = [
    "{handle} you are a pathetic idiot and everyone hates you",
    "{handle} shut up you stupid clown, nobody voted for this crap",
    "{handle} what a useless piece of shit, resign",
    "{handle} you disgusting liar, get lost",
    "{handle} absolute moron, you should be ashamed",
    "{handle} fuck off and do your job",
]
PROTECT_TEXTS = [
    "{handle} thanks for the update on the budget meeting",
    "{handle} when is the next surgery for the ward?",
    "{handle} the bins on Mill Lane still haven't been collected",
    "{handle} really appreciate you standing up for the library",
    "{handle} disagree with the vote last night, explain yourself",
]
LIBRARY_OURS = [
    "Our libraries are warm, free and open to everyone. Join the day of action {tag}",
    "Read-in at the central library this Saturday, bring a book and a friend {tag} {tag2}",
    "Library closures hit the poorest hardest. Tell the council no {tag}",
    "Amazing atmosphere at the read-in, hundreds of families came {tag2}",
    "Write to your councillor today about library closures {tag}",
    "My kids learned to read in that library. Save it {tag}",
    "The petition just passed 10,000 signatures, thank you all {tag}",
    "Volunteers needed for the stall outside the library, sign up below {tag}",
]
LIBRARY_OPPOSING = [
    "Libraries are obsolete, everyone has the internet now {tag}",
    "Council should stop wasting money on empty buildings {tag}",
    "Nobody uses these libraries, close them and cut council tax {tag}",
    "Another protest by the usual suspects {tag}",
    "Libraries are obsolete and the figures prove it {tag}",
]
LIBRARY_MONITOR = [
    "The {phrase} vote is next week, worth watching",
    "Leaked {phrase} papers suggest more cuts are coming",
]
COUNCIL_OURS = [
    "Councillors deserve to do their job without threats {tag}",
    "Disagree with policy all you like but leave the abuse out of it {tag}",
    "Local democracy only works if people are willing to stand {tag}",
]
COUNCIL_MONITOR = [
    "Riverside council meeting tonight, agenda item 7 looks contentious {tag}",
    "Big turnout expected at the Riverside council planning committee",
    "Residents' group statement on the parking changes {tag}",
]
TAILS = ["", "", "", " 👏", " 💜", " Please share.", " Thread below.", " More soon.", " #students",
         " Link in bio.", " 🙌", " Retweet if you agree."]


def demo_campaigns(starts: datetime, ends: datetime) -> list[DemoCampaign]:
    """The three named demo campaigns, their trackers and their moments."""
    starts_at, ends_at = starts.date().isoformat(), (ends + timedelta(days=14)).date().isoformat()
    antisocial = Campaign(
        slug="antisocial", name="#AntiSocialMedia",
        description="Demo data: a students' union campaign against the online abuse aimed at student officers.",
        starts_at=starts_at, ends_at=ends_at, timezone="Europe/London", goal_mentions=15000,
        goal_reach=8_000_000, retention_days=180,
        trackers=_trackers(ours=["#AntiSocialMedia", "#LoveSUs", "online abuse"], opposing=["#FreeSpeechSU"],
                           monitor=["yik yak"], protect=["@su_president", "@su_welfare"]),
        exclude=["giveaway"],
        safety=SafetySettings(signposting=(
            "Demo signposting: report abuse aimed at an officer to the SU's safeguarding lead "
            "(safeguarding@example.org). For threats call the police on 101, or 999 in an emergency.")),
    )
    libraries = Campaign(
        slug="save-our-libraries", name="Save Our Libraries day of action",
        description="Demo data: a community day of action against library closures, facing an opposing hashtag and hostile press.",
        starts_at=starts_at, ends_at=ends_at, timezone="Europe/London", goal_mentions=10000,
        goal_reach=5_000_000,
        trackers=_trackers(ours=["#SaveOurLibraries", "#ReadIn", "library closures"],
                           opposing=["#WastefulCouncil", "libraries are obsolete"], monitor=["council budget"]),
    )
    councillors = Campaign(
        slug="councillor-watch", name="Riverside councillor safety watch",
        description="Demo data: a councillors' team watching for pile-ons aimed at two ward councillors.",
        starts_at=starts_at, timezone="Europe/London", retention_days=90,
        trackers=_trackers(ours=["#RespectOurCouncillors"], monitor=["#RiversideCouncil", "riverside council"],
                           protect=["@cllr_amina_khan", "@cllr_tom_reid"]),
        safety=SafetySettings(signposting=(
            "Demo signposting: the members' support officer is on 01632 960000 (a fictional number); "
            "report threats to the police on 101, or 999 in an emergency.")),
    )
    for campaign in (antisocial, libraries, councillors):
        campaign.is_demo = True
    return [
        DemoCampaign(
            antisocial, 0.45,
            moments=[
                Moment(0.18, 10, "action", "Launch: post why abuse is not free speech", "antisocialmedia", 9, 10),
                Moment(0.33, 20, "opposing", "#FreeSpeechSU pile-on after the motion", "freespeechsu", 6, 8),
                Moment(0.52, 12, "action", "Celebration day: flood the feed with #LoveSUs", "lovesus", 14, 12),
                Moment(0.74, 18, "event", "Officers' open forum and stall", "antisocialmedia", 7, 9),
                Moment(0.9, 9, "action", "Ask followers to use the report-abuse form", "antisocialmedia", 5, 8),
            ],
            texts={"ours": OUR_TEXTS, "opposing": OPPOSING_TEXTS, "monitor": MONITOR_TEXTS},
            tags={"ours": ["AntiSocialMedia", "LoveSUs"], "opposing": ["FreeSpeechSU"], "monitor": ["yik yak"]},
            side_weights={"ours": 0.62, "opposing": 0.2, "monitor": 0.06, "protect": 0.12},
            abusive_share=0.35, protected=["@su_president", "@su_welfare"],
        ),
        DemoCampaign(
            libraries, 0.35,
            moments=[
                Moment(0.22, 9, "action", "Email your councillor about library closures", "saveourlibraries", 6, 10),
                Moment(0.41, 19, "opposing", "Press column: libraries are obsolete", "wastefulcouncil", 7, 14),
                Moment(0.6, 11, "event", "Day of action: read-in at the central library", "readin", 16, 10),
                Moment(0.8, 14, "action", "Share the petition before the budget vote", "saveourlibraries", 8, 9),
            ],
            texts={"ours": LIBRARY_OURS, "opposing": LIBRARY_OPPOSING, "monitor": LIBRARY_MONITOR},
            tags={"ours": ["SaveOurLibraries", "ReadIn"], "opposing": ["WastefulCouncil"], "monitor": ["council budget"]},
            side_weights={"ours": 0.6, "opposing": 0.3, "monitor": 0.1},
        ),
        DemoCampaign(
            councillors, 0.2,
            moments=[
                Moment(0.3, 21, "opposing", "Pile-on after the planning vote", "riversidecouncil", 10, 6),
                Moment(0.65, 13, "action", "Residents post #RespectOurCouncillors", "respectourcouncillors", 5, 8),
                Moment(0.85, 20, "opposing", "Second pile-on after a viral clip", "riversidecouncil", 8, 5),
            ],
            texts={"ours": COUNCIL_OURS, "opposing": [], "monitor": COUNCIL_MONITOR},
            tags={"ours": ["RespectOurCouncillors"], "opposing": [], "monitor": ["RiversideCouncil"]},
            side_weights={"ours": 0.15, "monitor": 0.45, "protect": 0.4},
            abusive_share=0.3, protected=["@cllr_amina_khan", "@cllr_tom_reid"],
        ),
    ]


def extra_campaigns(count: int, starts: datetime) -> list[DemoCampaign]:
    """More campaigns for benchmarks: copies of the first with their own hashtags."""
    made = []
    for number in range(4, count + 1):
        tag = f"DemoCause{number:02d}"
        campaign = Campaign(
            slug=f"demo-cause-{number:02d}", name=f"#{tag}",
            description="Demo data: a generated campaign for benchmarks.",
            starts_at=starts.date().isoformat(), timezone="UTC",
            trackers=_trackers(ours=[f"#{tag}"], opposing=[f"#Stop{tag}"], monitor=[f"cause {number}"]),
        )
        campaign.is_demo = True
        made.append(DemoCampaign(
            campaign, 0.4,
            moments=[Moment(0.2 + 0.6 * ((number * 37) % 10) / 10, 12, "action", f"Push for #{tag}", tag.lower(), 8, 10)],
            texts={"ours": OUR_TEXTS, "opposing": OPPOSING_TEXTS, "monitor": MONITOR_TEXTS},
            tags={"ours": [tag], "opposing": [f"Stop{tag}"], "monitor": [f"cause {number}"]},
            side_weights={"ours": 0.65, "opposing": 0.25, "monitor": 0.1},
        ))
    return made


def _trackers(**sides: list[str]) -> list[Tracker]:
    from campaigns.model import classify_term

    return [Tracker(*classify_term(term), side=side) for side, terms in sides.items() for term in terms]


def _hour_weights(demo: DemoCampaign, hours: list[datetime], starts: datetime, ends: datetime):
    """Relative mention rate per hour: a daily rhythm, quieter weekends, and decaying bursts."""
    zone = ZoneInfo(demo.campaign.timezone)
    peaks = [(moment_time(m, starts, ends, demo.campaign.timezone), m) for m in demo.moments]
    weights, opposing_lift = [], []
    for hour in hours:
        local = hour.astimezone(zone)
        rhythm = 0.25 + 0.75 * (0.5 - 0.5 * math.cos(2 * math.pi * ((local.hour - 8) % 24) / 24)) ** 1.5
        rhythm *= 0.75 if local.weekday() >= 5 else 1.0
        lift_ours = lift_opposing = 0.0
        for peak, moment in peaks:
            since = (hour - peak).total_seconds() / 3600
            if 0 <= since < moment.hours * 6:
                burst = moment.lift * math.exp(-since / moment.hours)
                if moment.kind == "opposing":
                    lift_opposing += burst
                else:
                    lift_ours += burst
        weights.append(rhythm + lift_ours + lift_opposing)
        opposing_lift.append(lift_opposing / (rhythm + lift_ours + lift_opposing))
    return weights, opposing_lift


class _Authors:
    """A pool of invented authors with heavy-tailed followers and Zipf-like activity."""

    def __init__(self, rng: random.Random, prefix: str, size: int):
        self.names = [f"{prefix}_{i:05d}" for i in range(size)]
        self.followers = [min(int(rng.lognormvariate(5.4, 1.9)), 3_000_000) for _ in range(size)]
        self.cumulative = []
        total = 0.0
        for rank in range(1, size + 1):
            total += 1 / rank ** 0.9
            self.cumulative.append(total)

    def pick(self, rng: random.Random) -> int:
        import bisect

        return min(bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1]), len(self.names) - 1)


def generate(demos: list[DemoCampaign], total: int, starts: datetime, ends: datetime,
             seed: int, batch_size: int = 5000) -> Iterator[list[Mention]]:
    """Yield batches of unscored demo mentions, the same ones for the same arguments."""
    rng = random.Random(seed)
    hours = []
    cursor = starts
    while cursor < ends:
        hours.append(cursor)
        cursor += timedelta(hours=1)
    shares = sum(d.share for d in demos)
    sequence = 0
    batch: list[Mention] = []
    platforms, platform_weights = list(PLATFORM_WEIGHTS), list(PLATFORM_WEIGHTS.values())
    for index, demo in enumerate(demos):
        count = round(total * demo.share / shares) if index < len(demos) - 1 else total - sequence
        weights, opposing_lift = _hour_weights(demo, hours, starts, ends)
        authors = {side: _Authors(rng, f"{demo.campaign.slug[:6]}_{side[:3]}", max(30, count // 9))
                   for side in ("ours", "opposing", "monitor", "protect")}
        picks = sorted(rng.choices(range(len(hours)), weights=weights, k=count))
        sides, side_weights = list(demo.side_weights), list(demo.side_weights.values())
        recent: dict[tuple[str, str], list[Mention]] = {}
        for hour_index in picks:
            hour = hours[hour_index]
            created = hour + timedelta(seconds=rng.randrange(3600))
            side = rng.choices(sides, weights=side_weights)[0]
            if opposing_lift[hour_index] > 0.2 and "opposing" in demo.side_weights and rng.random() < opposing_lift[hour_index]:
                side = "opposing"
            if demo.campaign.slug == "councillor-watch" and opposing_lift[hour_index] > 0.2 and rng.random() < 0.7:
                side = "protect"
            platform = rng.choices(platforms, weights=platform_weights)[0]
            sequence += 1
            mention = _make(rng, demo, side, platform, created, sequence, authors[side], recent)
            batch.append(mention)
            if len(batch) >= batch_size:
                yield batch
                batch = []
    if batch:
        yield batch


def _make(rng, demo, side, platform, created, sequence, authors, recent) -> Mention:
    author = authors.pick(rng)
    handle = authors.names[author]
    followers = authors.followers[author]
    native_id = str(1_900_000_000_000_000_000 + sequence)
    originals = recent.get((platform, side))
    if originals and REPOST_SHARE[platform] and rng.random() < REPOST_SHARE[platform]:
        original = rng.choice(originals)
        text = f"RT @{original.author_handle}: {original.text}" if platform == "x" else original.text
        return _mention(platform, native_id, created, text, handle, followers, demo, repost_of=original)
    reply_to = None
    if side == "protect":
        target = rng.choice(demo.protected)
        abusive = rng.random() < demo.abusive_share
        text = rng.choice(ABUSIVE_TEXTS if abusive else PROTECT_TEXTS).format(handle=target)
        reply_to = f"{platform}:{1_800_000_000_000_000_000 + rng.randrange(500)}"
    else:
        templates = demo.texts.get(side) or OUR_TEXTS
        tags = demo.tags.get(side) or demo.tags["ours"]
        text = rng.choice(templates).format(tag=f"#{rng.choice(tags)}", tag2=f"#{tags[-1]}",
                                            phrase=rng.choice(tags)) + rng.choice(TAILS)
    mention = _mention(platform, native_id, created, text, handle, followers, demo, reply_to=reply_to)
    scale = max(followers, 10) ** 0.55
    mention.likes = int(rng.expovariate(1 / (0.6 * scale)))
    mention.reposts = int(rng.expovariate(1 / (0.15 * scale)))
    mention.replies = int(rng.expovariate(1 / (0.08 * scale)))
    mention.quotes = int(rng.expovariate(1 / (0.03 * scale))) if platform in ("x", "bluesky") else None
    if platform == "x" and rng.random() < 0.5:
        mention.impressions = int(followers * rng.uniform(0.02, 0.3)) + mention.likes * 20
    bucket = recent.setdefault((platform, side), [])
    bucket.append(mention)
    if len(bucket) > 40:
        bucket.pop(0)
    return mention


def _mention(platform, native_id, created, text, handle, followers, demo, repost_of=None, reply_to=None):
    mention = Mention(
        platform=platform, native_id=native_id, created_at=iso_utc(created), text=text,
        url=f"https://example.org/demo/{platform}/{native_id}", author_key=handle, author_handle=handle,
        author_followers=None if platform == "reddit" else followers, lang="en",
        is_repost=repost_of is not None, reposted_uid=repost_of.uid if repost_of else None,
        reply_to_uid=reply_to,
    )
    if platform == "reddit":
        mention.audience_key = list(SUBREDDITS)[zlib.crc32(handle.encode()) % len(SUBREDDITS)]
        mention.audience_size = SUBREDDITS[mention.audience_key]
    if repost_of is not None:
        mention.likes, mention.reposts, mention.replies = repost_of.likes, repost_of.reposts, repost_of.replies
    return mention


@dataclass
class DemoResult:
    campaigns: list[Campaign]
    totals: UpsertResult
    starts: datetime
    ends: datetime


def load_demo(store: Store, settings: Settings, *, seed: int = 7, mentions: int = 50_000, days: int = 60,
              campaigns: int = 3, until: datetime | None = None,
              on_batch: Callable[[int], None] | None = None) -> DemoResult:
    """Write the demo campaigns and their mentions through the store, scored as real data would be."""
    ends = (until or clock.now()).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    starts = ends - timedelta(days=days)
    demos = demo_campaigns(starts, ends)[:campaigns] + extra_campaigns(campaigns, starts)
    saved = [store.save_campaign(d.campaign) for d in demos]
    scores: dict[str, tuple[float, float]] = {}
    key = settings.pseudonym_key() if settings.pseudonymize else None
    totals = UpsertResult()
    for batch in generate(demos, mentions, starts, ends, seed):
        # Demo texts repeat, so each distinct text is scored once for the whole load.
        missing = list(dict.fromkeys(m.text for m in batch if m.text not in scores))
        if missing:
            sentiments, abuses = score_texts(missing)
            scores.update(zip(missing, zip(sentiments, abuses, strict=True), strict=True))
        for mention in batch:
            mention.sentiment, mention.abuse = scores[mention.text]
            if key:
                mention.author_key = pseudonym(mention.author_key, key)
        totals.add(store.upsert_mentions(batch, is_demo=True))
        if on_batch:
            on_batch(len(batch))
    load_plan(store, settings, demos, saved, starts, ends)
    for campaign in saved:
        # The demo's pile-ons happened before "now": look at all of it, not the last days.
        safety.check_pile_ons(store, campaign, everything=True)
    return DemoResult(saved, totals, starts, ends)


def expected_hourly(total: int, starts: datetime, ends: datetime, campaigns: int = 3) -> dict[str, dict[str, list[float]]]:
    """What generate() draws, in expectation: per demo campaign (slug) and side, the mentions
    expected in each hour from `starts` (index 0) to `ends`.

    The demo states the bursts it made this way, so a report's figures can be checked against
    them: it follows generate()'s own rules (each campaign's share of `total`, the hour weights,
    and the sides an opposing push or a pile-on pulls posts to).
    """
    demos = demo_campaigns(starts, ends)[:campaigns] + extra_campaigns(campaigns, starts)
    hours = []
    cursor = starts
    while cursor < ends:
        hours.append(cursor)
        cursor += timedelta(hours=1)
    shares = sum(d.share for d in demos)
    made = 0
    expected: dict[str, dict[str, list[float]]] = {}
    for index, demo in enumerate(demos):
        count = round(total * demo.share / shares) if index < len(demos) - 1 else total - made
        made += count
        weights, opposing_lift = _hour_weights(demo, hours, starts, ends)
        scale = count / sum(weights)
        base = {side: weight / sum(demo.side_weights.values()) for side, weight in demo.side_weights.items()}
        sides = {side: [] for side in base}
        for weight, lift in zip(weights, opposing_lift, strict=True):
            chance = dict(base)
            if lift > 0.2 and "opposing" in chance:
                chance = {side: p * (1 - lift) + (lift if side == "opposing" else 0.0) for side, p in chance.items()}
            if demo.campaign.slug == "councillor-watch" and lift > 0.2:
                chance = {side: p * 0.3 + (0.7 if side == "protect" else 0.0) for side, p in chance.items()}
            for side, p in chance.items():
                sides[side].append(scale * weight * p)
        expected[demo.campaign.slug] = sides
    return expected

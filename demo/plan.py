"""The demo's plan: the narratives, calls to action, events, volunteers and demands its bursts answer to.

Every moment in demo/data.py becomes the plan item that caused it, at the time
`moment_time` gives: an action moment is a call to action whose window opens as its burst starts,
an event moment an event (with needs) and its call to attend, an opposing push an opposing
narrative first seen then, with our counter-narrative. Volunteers are given the handles of demo
authors who really posted the action's hashtag in its window, so completion from the listening
data has something true to find. Deterministic: the same demo database gives the same plan, written
as of the end of the demo period whatever the day it is loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigns import clock, planner
from campaigns.model import Campaign, iso_utc
from campaigns.privacy import author_key_of
from campaigns.settings import Settings
from campaigns.store import Store
from campaigns.store.plan import Plan
from demo.moments import moment_time


@dataclass(frozen=True)
class ActionCopy:
    """The words behind a demo call to action."""

    kind: str
    message: str
    variants: tuple[str, ...] = ()
    channel: str = ""
    link: str = ""
    goal_factor: float = 0.9  # the goal as a share of what the burst brought: below 1 means it was met


ACTION_COPY = {
    "Launch: post why abuse is not free speech": ActionCopy(
        "post", "Online abuse is not free speech. It is harassment, and it has to stop.",
        ("Nobody should be abused online for doing their job. Stand with our officers.",
         "Criticise policies, not people. Abuse aimed at student officers has to stop."),
        "any platform", "https://example.org/demo/antisocial/why", 0.8),
    "Celebration day: flood the feed with #LoveSUs": ActionCopy(
        "post", "Thank you to the officers who keep showing up for students. You are appreciated!",
        ("Flooding the feed with some love for the people who run our union.",
         "Our SU officers are students too. Today we celebrate them."), "any platform", "", 0.85),
    "Ask followers to use the report-abuse form": ActionCopy(
        "share", "Seen abuse aimed at an officer? Report it, don't share it. The form is confidential.",
        ("Reminder that the report-abuse form is open and confidential.",), "X and Bluesky",
        "https://example.org/demo/antisocial/report", 1.3),
    "Email your councillor about library closures": ActionCopy(
        "email", "Please keep our libraries open: they are warm, free and open to everyone.",
        ("Library closures hit the poorest hardest. Please vote against them.",), "email your ward councillor",
        "https://example.org/demo/libraries/write", 0.9),
    "Share the petition before the budget vote": ActionCopy(
        "share", "The budget vote is close. Sign and share the petition to save our libraries.",
        ("My kids learned to read in that library. Sign the petition before the vote.",),
        "r/unitedkingdom", "https://example.org/demo/libraries/petition", 1.2),
    "Residents post #RespectOurCouncillors": ActionCopy(
        "post", "Disagree with policy all you like, but leave the abuse out of it.",
        ("Councillors deserve to do their job without threats.",
         "Local democracy only works if people are willing to stand."), "any platform", "", 0.9),
}
EVENT_DETAILS = {
    "Officers' open forum and stall": (
        "Students' Union foyer", 120, ["banner: 2/2/2", "kind-message cards: 500/420/380", "volunteers on the stall: 8/7/6"]),
    "Day of action: read-in at the central library": (
        "Central Library, Riverside", 300, ["bring water: 50/44/40", "children's books to read aloud: 60/72/65",
                                            "stewards: 12/10/9", "chairs: 80/55/50"]),
}
NARRATIVES = {
    "#FreeSpeechSU pile-on after the motion": (
        "The campaign is an excuse to silence criticism of the union", "free speech", "high", "respond",
        "Criticism is welcome; abuse is not. Officers answer questions, they should not absorb harassment."),
    "Press column: libraries are obsolete": (
        "Libraries are obsolete: everyone has the internet now", "waste of money", "medium", "respond",
        "Libraries are the warm, free, open place the internet is not: usage is up where branches stayed open."),
    "Pile-on after the planning vote": (
        "Councillors ignored residents on the planning vote", "betrayal", "high", "do-not-amplify",
        "Disagree with the decision, respect the people: complaints go to the councillor's surgery."),
    "Second pile-on after a viral clip": (
        "A clip 'proves' a councillor mocked residents", "misleading clip", "high", "do-not-amplify", ""),
}
VOLUNTEER_NAMES = {
    "antisocial": [("Priya S.", "Europe/London"), ("Tom R.", "Europe/London"), ("Aisha K.", "Europe/Dublin"),
                   ("Lewis M.", "America/New_York")],
    "save-our-libraries": [("Grace O.", "Europe/London"), ("Daniel W.", "Europe/London"),
                           ("Meera P.", "Asia/Kolkata"), ("Sam T.", "Europe/London")],
    "councillor-watch": [("Ruth H.", "Europe/London"), ("Kofi A.", "Europe/London")],
}
DEMANDS = {
    "antisocial": [
        ("Adopt a policy on online abuse of student officers, with a confidential reporting route",
         "University Secretary", [(0, "acknowledged", "Raised at the student council; the University will reply"),
                                  (2, "promised", "Secretary's letter promises a policy by the end of term"),
                                  (3, "partial", "Reporting form live; the policy itself is still in draft")]),
        ("Act on reports from the SU within 48 hours", "Yik Yak trust and safety",
         [(1, "rejected", "Replied that reports are handled in the order they arrive")]),
    ],
    "save-our-libraries": [
        ("Keep all five branch libraries open through 2027", "Riverside Council cabinet",
         [(0, "acknowledged", "Cabinet member agreed to meet campaigners"),
          (1, "promised", "Cabinet member promised no closures this year at the read-in"),
          (2, "partial", "Budget keeps all branches, two on reduced hours")]),
        ("Publish branch usage figures for the last five years", "Riverside Council",
         [(1, "implemented", "Figures published on the council's open data page")]),
    ],
    "councillor-watch": [
        ("Publish a member safety protocol covering online abuse", "Riverside standards committee",
         [(0, "acknowledged", "Committee to consider it at its next meeting"),
          (1, "promised", "Committee agreed to draft a protocol")]),
    ],
}


def _tag_case(campaign: Campaign, tag: str) -> str:
    """The hashtag as the campaign writes it ('lovesus' -> 'LoveSUs')."""
    for tracker in campaign.trackers:
        if tracker.kind == "hashtag" and tracker.value.lower() == tag.lower():
            return tracker.value
    return tag


def _round_goal(value: float) -> int:
    step = 10 if value < 500 else 50
    return max(step, int(round(value / step)) * step)


def load_plan(store: Store, settings: Settings, demos, saved: list[Campaign], starts: datetime,
              ends: datetime) -> None:
    """Write the plan of every demo campaign, then mark done what the demo's posts show was done.

    Loading the demo again replaces its plan (variants, needs, assignments and updates cascade).
    """
    with clock.pinned(ends):
        for demo, campaign in zip(demos, saved, strict=True):
            store.plan.clear(campaign.id)
            _plan_campaign(store.plan, settings, demo, campaign, starts, ends)


def _posts_in(plan: Plan, campaign_id: int, tag: str, start: datetime, end: datetime) -> int:
    return plan.posts_with_hashtags(campaign_id, [tag], iso_utc(start), iso_utc(end))


def _plan_campaign(plan: Plan, settings, demo, campaign: Campaign, starts, ends) -> None:
    tz = campaign.timezone
    ours = [t.id for t in campaign.trackers if t.side == "ours"]
    opposing = [t.id for t in campaign.trackers if t.side in ("opposing", "monitor")]
    posting: list[planner.Action] = []
    events: list[tuple[planner.Event, datetime]] = []
    steps: list[datetime] = []  # when each action or event happened, for dating demand updates
    counter_of: dict[str, int] = {}
    for moment in demo.moments:
        at = moment_time(moment, starts, ends, tz)
        tag = _tag_case(campaign, moment.tag)
        if moment.kind == "opposing":
            claim, frame, risk, decision, answer = NARRATIVES.get(
                moment.title, (moment.title, "", "medium", "monitor", ""))
            seen = plan.save_narrative(planner.Narrative(
                campaign.id, "opposing", claim, frame, [tag], iso_utc(at), risk, decision,
                tracker_ids=opposing, notes=f"Demo: {moment.title}"))
            if answer:
                counter_of[moment.title] = plan.save_narrative(planner.Narrative(
                    campaign.id, "ours", answer, "respect", risk="low", decision="respond", counters_id=seen.id,
                    tracker_ids=ours)).id
            continue
        steps.append(at)
        if moment.kind == "event":
            location, capacity, needs = EVENT_DETAILS.get(moment.title, ("Online", None, []))
            event = plan.save_event(planner.Event(
                campaign.id, moment.title, iso_utc(at), iso_utc(at + timedelta(hours=3)), tz,
                description="Demo event.", location=location, capacity=capacity, status="scheduled",
                needs=[planner.parse_need(n) for n in needs]))
            events.append((event, at))
            attend = plan.save_action(planner.Action(
                campaign.id, "attend", f"Come to: {moment.title}", iso_utc(at), iso_utc(at + timedelta(hours=3)), tz,
                message=f"Join us at {location} and post a photo with #{tag}", hashtags=[tag],
                channel=location, event_id=event.id, status="scheduled",
                goal_count=_round_goal(_posts_in(plan, campaign.id, tag, at, at + timedelta(hours=3)) * 0.9)))
            posting.append(attend)
            continue
        copy = ACTION_COPY.get(moment.title, ActionCopy("post", f"Join the push today #{tag}"))
        window_end = at + timedelta(hours=max(4, round(moment.hours * 2)))
        narrative_id = next(iter(counter_of.values()), None)
        action = plan.save_action(planner.Action(
            campaign.id, copy.kind, moment.title, iso_utc(at), iso_utc(window_end), tz, copy.message,
            list(copy.variants), [tag], copy.channel, copy.link,
            _round_goal(_posts_in(plan, campaign.id, tag, at, window_end) * copy.goal_factor),
            narrative_id, status="scheduled"))
        posting.append(action)
    if campaign.slug not in VOLUNTEER_NAMES:
        plan.complete_from_mentions(campaign.id)
        return
    upcoming = _upcoming(plan, campaign, ends)
    people = _volunteers(plan, settings, campaign, posting)
    for index, person in enumerate(people):
        # Attending is tracked on the event itself, so only the posting calls are assigned.
        for action in [*(a for a in posting if a.kind != "attend"), upcoming]:
            plan.assign(person.id, action_id=action.id, status="accepted" if index % 2 == 0 else "invited")
        for number, (event, _) in enumerate(events):
            role = ("steward", "stall", "speaker", "first aid")[(index + number) % 4]
            plan.assign(person.id, event_id=event.id, role=role, status="accepted")
    # What the posts show is done; then the rest of what is past is settled as a coordinator would.
    plan.complete_from_mentions(campaign.id, key_of=author_key_of(settings))
    for row in plan.assignments(campaign.id).itertuples():
        if row.ends_at <= iso_utc(ends) and row.status in ("accepted", "invited"):
            if row.kind == "event":
                plan.set_assignment_status(row.id, "done", at=row.ends_at)
            elif row.status == "accepted":
                plan.set_assignment_status(row.id, "no_show")
    _demands(plan, campaign, starts, steps)


def _volunteers(plan: Plan, settings: Settings, campaign: Campaign,
                posting: list[planner.Action]) -> list[planner.Volunteer]:
    """The campaign's demo volunteers; those who consented carry the handle of an author who posted.

    With pseudonyms on, the stored authors are pseudonyms, so no handle can be given. Demo
    Mastodon authors carry no instance, and a volunteer's Mastodon handle needs one.
    """
    names = VOLUNTEER_NAMES[campaign.slug]
    windows = [(tag, a.window_start, a.window_end) for a in posting for tag in a.hashtags]
    authors = [] if settings.pseudonymize else plan.top_posting_authors(
        campaign.id, windows, len(names) - 1, skip_platforms=("mastodon",))
    made = []
    for index, (name, tz) in enumerate(names):
        handles = {}
        consent = None
        if index < len(authors):
            platform, author = authors[index]
            handles = {platform: author}
            consent = campaign.starts_at
        existing = plan.volunteer_named(name)
        made.append(plan.save_volunteer(planner.Volunteer(
            name, tz, contact="", skills=[("design", "writing", "stewarding", "first aid")[index % 4]],
            consent_at=consent, handles=handles, id=existing.id if existing else None)))
    return made


def _upcoming(plan: Plan, campaign: Campaign, ends: datetime) -> planner.Action:
    """One call to action still to come, so the calendar and the volunteer view look ahead."""
    tag = next((t.value for t in campaign.trackers if t.kind == "hashtag" and t.side == "ours"), None)
    start = (ends + timedelta(days=3)).replace(hour=12)
    return plan.save_action(planner.Action(
        campaign.id, "post", "Next push: thank the people who stood with us", iso_utc(start),
        iso_utc(start + timedelta(hours=8)), campaign.timezone,
        "Thank you to everyone who stood with us this term. We are not done yet.",
        ["What a few weeks. Thank you all, and see you at the next one."], [tag] if tag else [],
        "any platform", goal_count=100, status="scheduled"))


def _demands(plan: Plan, campaign: Campaign, starts: datetime, steps: list[datetime]) -> None:
    for text, decision_maker, updates in DEMANDS.get(campaign.slug, []):
        demand = plan.save_demand(planner.Demand(
            campaign.id, text, decision_maker, due_at=(starts + timedelta(days=90)).date().isoformat(),
            review_on=(starts + timedelta(days=180)).date().isoformat()), raised_at=iso_utc(starts + timedelta(days=2)))
        for step, status, note in updates:
            at = (steps[min(step, len(steps) - 1)] if steps else starts) + timedelta(days=1)
            plan.add_demand_update(demand.id, status=status, note=note, at=iso_utc(at),
                                   source_url="https://example.org/demo/minutes" if status == "promised" else "",
                                   evidence_uid=plan.first_post_since(campaign.id, iso_utc(at)))

"""Planner commands: narratives, calls to action, events, volunteers, assignments, demands, calendar, sync."""

from __future__ import annotations

import click

from campaigns import calendar_feed, clock, planner
from campaigns.errors import ValidationError
from campaigns.model import Campaign, classify_term, parse_timezone
from campaigns.privacy import author_key_of
from campaigns.share_links import links_for_action
from groundswell.context import Context, pass_context, table

LIFECYCLE = click.Choice(planner.LIFECYCLE)
campaign_option = click.option("--campaign", "slug", help="Campaign slug [default: the only campaign].")


def _campaign(obj: Context, slug: str | None) -> Campaign:
    if slug:
        return obj.store.campaign(slug)
    campaigns = obj.store.campaigns()
    if len(campaigns) == 1:
        return campaigns[0]
    if not campaigns:
        raise ValidationError("no campaigns yet; add one with: groundswell campaign add")
    raise ValidationError("several campaigns: say which with --campaign SLUG")


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def _frametable(frame, columns: list[str], empty: str) -> None:
    if frame.empty:
        click.echo(empty)
        return
    table([tuple(columns), *[tuple(_cell(row[c]) for c in columns) for _, row in frame.iterrows()]])


def _local(stored, tz: str) -> str:
    """A stored instant in local time; empty for none (pandas gives NaN for a NULL)."""
    return planner.local_text(stored, tz) if isinstance(stored, str) and stored else ""


def _tracker_ids(campaign: Campaign, terms) -> list[int]:
    ids = []
    for term in terms:
        kind, value = classify_term(term)
        found = [t.id for t in campaign.trackers if t.kind == kind and t.value.lower() == value.lower()]
        if not found:
            raise ValidationError(f"campaign '{campaign.slug}' does not track {term}")
        ids.extend(found)
    return ids


def _handles(pairs) -> dict[str, str]:
    handles = {}
    for pair in pairs:
        platform, sep, handle = pair.partition(":")
        if not sep or not handle.strip():
            raise ValidationError(f"bad handle '{pair}' (write it as platform:handle, e.g. x:priya)")
        handles[platform.strip().lower()] = handle.strip()
    return handles


def _consent(value: str | None) -> str | None:
    if value is None:
        return None
    return clock.now_iso() if value.lower() == "now" else value


# -- narratives ------------------------------------------------------------------------------

@click.group()
def narrative():
    """Record the narratives seen and told, and what was decided about each.

    Example: groundswell narrative list --campaign antisocial
    """


def _narrative_options(function):
    for option in reversed([
        click.option("--side", type=click.Choice(planner.NARRATIVE_SIDES)),
        click.option("--claim", help="What the narrative says, in one line."),
        click.option("--frame", help="How it is framed (e.g. 'free speech', 'waste of money')."),
        click.option("--keywords", help="Comma-separated words it travels with."),
        click.option("--first-seen", help="Date or time it was first seen (campaign time zone)."),
        click.option("--risk", type=click.Choice(planner.RISKS)),
        click.option("--decision", type=click.Choice(planner.DECISIONS)),
        click.option("--counters", type=int, help="Id of the opposing narrative this one answers."),
        click.option("--tracker", "trackers", multiple=True, help="A campaign term that measures it (repeat)."),
        click.option("--notes"),
    ]):
        function = option(function)
    return function


@narrative.command("add")
@campaign_option
@_narrative_options
@pass_context
def narrative_add(obj: Context, slug, side, claim, frame, keywords, first_seen, risk, decision, counters, trackers,
                  notes):
    """Add a narrative.

    Example: groundswell narrative add --campaign antisocial --side opposing --claim "The campaign silences criticism" --risk high --decision respond --tracker "#FreeSpeechSU"
    """
    campaign = _campaign(obj, slug)
    saved = obj.store.plan.save_narrative(planner.Narrative(
        campaign.id, side or "opposing", claim or "", frame or "", keywords or [], first_seen, risk or "medium",
        decision or "monitor", counters, notes or "", _tracker_ids(campaign, trackers)), tz=campaign.timezone)
    click.echo(f"added narrative {saved.id} ({saved.side}): {saved.claim}")


@narrative.command("edit")
@click.argument("narrative_id", type=int)
@_narrative_options
@pass_context
def narrative_edit(obj: Context, narrative_id, side, claim, frame, keywords, first_seen, risk, decision, counters,
                   trackers, notes):
    """Change a narrative; only the options given change (--tracker replaces the links).

    Example: groundswell narrative edit 2 --decision do-not-amplify
    """
    current = obj.store.plan.get_narrative(narrative_id)
    campaign = obj.store.campaign_by_id(current.campaign_id)
    for name, value in (("side", side), ("claim", claim), ("frame", frame), ("keywords", keywords),
                        ("first_seen", first_seen), ("risk", risk), ("decision", decision),
                        ("counters_id", counters), ("notes", notes)):
        if value is not None:
            setattr(current, name, value)
    if trackers:
        current.tracker_ids = _tracker_ids(campaign, trackers)
    obj.store.plan.save_narrative(current, tz=campaign.timezone)
    click.echo(f"updated narrative {narrative_id}")


@narrative.command("list")
@campaign_option
@pass_context
def narrative_list(obj: Context, slug):
    """List a campaign's narratives.

    Example: groundswell narrative list --campaign antisocial
    """
    campaign = _campaign(obj, slug)
    frame = obj.store.plan.narratives(campaign.id)
    frame["first_seen"] = [_local(v, campaign.timezone) for v in frame["first_seen"]]
    _frametable(frame, ["id", "side", "risk", "decision", "first_seen", "trackers", "claim"],
                 "no narratives yet; add one with: groundswell narrative add")


# -- calls to action -------------------------------------------------------------------------

@click.group()
def action():
    """Calls to action: what to do, where and when; share links for posting ones.

    Example: groundswell action list --campaign antisocial
    """


def _action_options(function):
    for option in reversed([
        click.option("--kind", type=click.Choice(planner.ACTION_KINDS)),
        click.option("--title"),
        click.option("--message", help="The text to post or say."),
        click.option("--variant", "variants", multiple=True, help="Another wording of the message (repeat)."),
        click.option("--hashtag", "hashtags", multiple=True, help="A hashtag to carry, with or without # (repeat)."),
        click.option("--channel", help="Where: a platform, r/subreddit, a phone number, an address."),
        click.option("--link", help="A link to include."),
        click.option("--start", help="Window start (date or time, in --timezone)."),
        click.option("--end", help="Window end."),
        click.option("--timezone", help="IANA time zone [default: the campaign's]."),
        click.option("--goal", type=int, help="How many posts or acts we aim for."),
        click.option("--narrative", "narrative_id", type=int, help="Id of the narrative it serves."),
        click.option("--event", "event_id", type=int, help="Id of the event it belongs to."),
    ]):
        function = option(function)
    return function


@action.command("add")
@campaign_option
@_action_options
@click.option("--status", type=click.Choice(["draft", "scheduled"]), default="draft", show_default=True)
@pass_context
def action_add(obj: Context, slug, kind, title, message, variants, hashtags, channel, link, start, end, timezone,
               goal, narrative_id, event_id, status):
    """Add a call to action.

    Example: groundswell action add --campaign antisocial --kind post --title "Flood the feed" --message "Love our officers" --hashtag LoveSUs --start "2026-03-10 12:00" --end "2026-03-10 18:00" --goal 200 --status scheduled
    """
    campaign = _campaign(obj, slug)
    if not start or not end:
        raise ValidationError("a call to action needs --start and --end")
    saved = obj.store.plan.save_action(planner.Action(
        campaign.id, kind or "post", title or "", start, end, timezone or campaign.timezone, message or "",
        list(variants), list(hashtags), channel or "", link or "", goal, narrative_id, event_id, status))
    click.echo(f"added call to action {saved.id} ({saved.status}): {saved.title}, "
               f"{_local(saved.window_start, saved.timezone)} to {_local(saved.window_end, saved.timezone)}")


@action.command("edit")
@click.argument("action_id", type=int)
@_action_options
@pass_context
def action_edit(obj: Context, action_id, kind, title, message, variants, hashtags, channel, link, start, end,
                timezone, goal, narrative_id, event_id):
    """Change a call to action; only the options given change (--variant and --hashtag replace the lists).

    Example: groundswell action edit 3 --end "2026-03-10 20:00" --variant "Our officers are brilliant"
    """
    current = obj.store.plan.get_action(action_id)
    if timezone:
        current.timezone = parse_timezone(timezone)
    for name, value in (("kind", kind), ("title", title), ("message", message), ("channel", channel),
                        ("link", link), ("goal_count", goal), ("narrative_id", narrative_id),
                        ("event_id", event_id)):
        if value is not None:
            setattr(current, name, value)
    if start:
        current.window_start = planner.instant(start, current.timezone)
    if end:
        current.window_end = planner.instant(end, current.timezone)
    if variants:
        current.variants = list(variants)
    if hashtags:
        current.hashtags = list(hashtags)
    obj.store.plan.save_action(current)
    click.echo(f"updated call to action {action_id}")


@action.command("transition")
@click.argument("action_id", type=int)
@click.argument("status", type=LIFECYCLE)
@pass_context
def action_transition(obj: Context, action_id, status):
    """Move a call to action along draft -> scheduled -> live -> done, or cancel it.

    Scheduled work goes live and finishes by itself as its window opens and closes.

    Example: groundswell action transition 3 scheduled
    """
    now = obj.store.plan.transition("actions", action_id, status)
    click.echo(f"call to action {action_id} is {now}")


@action.command("list")
@campaign_option
@pass_context
def action_list(obj: Context, slug):
    """List a campaign's calls to action with their progress.

    Example: groundswell action list --campaign antisocial
    """
    campaign = _campaign(obj, slug)
    frame = obj.store.plan.actions(campaign.id)
    frame["starts"] = [_local(v, campaign.timezone) for v in frame["window_start"]]
    frame["goal"] = [f"{p}/{g}" if g == g and g is not None else str(p) for p, g in zip(frame["posts"],
                                                                                          frame["goal_count"],
                                                                                          strict=True)]
    frame["volunteers"] = [f"{d}/{a}" for d, a in zip(frame["volunteers_done"], frame["assigned"], strict=True)]
    frame["goal"] = [g.replace(".0", "") for g in frame["goal"]]
    _frametable(frame, ["id", "kind", "status", "starts", "hashtags", "goal", "volunteers", "title"],
                 "no calls to action yet; add one with: groundswell action add")


@action.command("show")
@click.argument("action_id", type=int)
@click.option("--volunteer", "volunteer_name", help="Show the wording and links meant for this volunteer.")
@pass_context
def action_show(obj: Context, action_id, volunteer_name):
    """Show a call to action: its message, progress and share links (nothing is ever posted for you).

    Example: groundswell action show 3 --volunteer Priya
    """
    store = obj.store
    item = store.plan.get_action(action_id)
    volunteer = store.plan.find_volunteer(volunteer_name) if volunteer_name else None
    tz = volunteer.timezone if volunteer else item.timezone
    progress = store.plan.action_progress(action_id)
    click.echo(f"{item.title} [{item.kind}, {item.status}]")
    click.echo(f"when: {_local(item.window_start, tz)} to {_local(item.window_end, tz)}")
    if item.channel:
        click.echo(f"where: {item.channel}")
    goal = f" of {progress['goal']}" if progress["goal"] else ""
    click.echo(f"progress: {progress['posts']}{goal} posts with "
               f"{' '.join('#' + t for t in item.hashtags) or 'no hashtag'} in the window; "
               f"{progress['volunteers_done']} of {progress['assigned']} volunteers done")
    for number, message in enumerate(item.messages, 1):
        click.echo(f"message {number}: {message}")
    if item.messages or item.hashtags:
        for link in links_for_action(item, volunteer):
            click.echo(f"{link.label}: {link.url or link.note}")


# -- events ----------------------------------------------------------------------------------

@click.group()
def event():
    """Events: when and where, capacity, needs pledged and delivered.

    Example: groundswell event list --campaign save-our-libraries
    """


def _event_options(function):
    for option in reversed([
        click.option("--title"),
        click.option("--description"),
        click.option("--start", help="Start (date or time, in --timezone)."),
        click.option("--end", help="End."),
        click.option("--timezone", help="IANA time zone [default: the campaign's]."),
        click.option("--location", help="Where people meet."),
        click.option("--online-url", help="The link for an online event."),
        click.option("--capacity", type=int, help="How many people it can take."),
        click.option("--visibility", type=click.Choice(planner.VISIBILITIES)),
        click.option("--need", "needs", multiple=True, help="'item: quantity' such as 'bring water: 50' (repeat)."),
    ]):
        function = option(function)
    return function


@event.command("add")
@campaign_option
@_event_options
@click.option("--status", type=click.Choice(["draft", "scheduled"]), default="scheduled", show_default=True)
@pass_context
def event_add(obj: Context, slug, title, description, start, end, timezone, location, online_url, capacity,
              visibility, needs, status):
    """Add an event.

    Example: groundswell event add --campaign save-our-libraries --title "Read-in" --start "2026-05-02 11:00" --end "2026-05-02 15:00" --location "Central Library" --capacity 200 --need "bring water: 50"
    """
    campaign = _campaign(obj, slug)
    if not start or not end:
        raise ValidationError("an event needs --start and --end")
    saved = obj.store.plan.save_event(planner.Event(
        campaign.id, title or "", start, end, timezone or campaign.timezone, description or "", location or "",
        online_url or "", capacity, visibility or "public", status, [planner.parse_need(n) for n in needs]))
    click.echo(f"added event {saved.id} ({saved.status}): {saved.title}, {_local(saved.starts_at, saved.timezone)}")


@event.command("edit")
@click.argument("event_id", type=int)
@_event_options
@pass_context
def event_edit(obj: Context, event_id, title, description, start, end, timezone, location, online_url, capacity,
               visibility, needs):
    """Change an event; only the options given change (--need replaces the needs).

    Example: groundswell event edit 2 --capacity 250 --need "bring water: 80" --need "chairs: 40"
    """
    current = obj.store.plan.get_event(event_id)
    if timezone:
        current.timezone = parse_timezone(timezone)
    for name, value in (("title", title), ("description", description), ("location", location),
                        ("online_url", online_url), ("capacity", capacity), ("visibility", visibility)):
        if value is not None:
            setattr(current, name, value)
    if start:
        current.starts_at = planner.instant(start, current.timezone)
    if end:
        current.ends_at = planner.instant(end, current.timezone)
    if needs:
        kept = {n.item.lower(): n for n in current.needs}
        current.needs = []
        for text in needs:
            need = planner.parse_need(text)
            if need.item.lower() in kept and not need.pledged and not need.delivered:
                need.pledged, need.delivered = kept[need.item.lower()].pledged, kept[need.item.lower()].delivered
            current.needs.append(need)
    obj.store.plan.save_event(current)
    click.echo(f"updated event {event_id}")


@event.command("transition")
@click.argument("event_id", type=int)
@click.argument("status", type=LIFECYCLE)
@pass_context
def event_transition(obj: Context, event_id, status):
    """Move an event along draft -> scheduled -> live -> done, or cancel it.

    Example: groundswell event transition 2 cancelled
    """
    now = obj.store.plan.transition("events", event_id, status)
    click.echo(f"event {event_id} is {now}")


@event.command("pledge")
@click.argument("event_id", type=int)
@click.argument("item")
@click.option("--pledged", type=int, default=0, help="Add this many pledged.")
@click.option("--delivered", type=int, default=0, help="Add this many delivered.")
@pass_context
def event_pledge(obj: Context, event_id, item, pledged, delivered):
    """Record pledges or deliveries for one of an event's needs.

    Example: groundswell event pledge 2 "bring water" --pledged 12
    """
    need = obj.store.plan.pledge(event_id, item, pledged=pledged, delivered=delivered)
    click.echo(f"{need.item}: {need.pledged} pledged, {need.delivered} delivered of {need.quantity}")


@event.command("list")
@campaign_option
@pass_context
def event_list(obj: Context, slug):
    """List a campaign's events.

    Example: groundswell event list --campaign save-our-libraries
    """
    campaign = _campaign(obj, slug)
    frame = obj.store.plan.events(campaign.id)
    frame["starts"] = [_local(v, tz) for v, tz in zip(frame["starts_at"], frame["timezone"], strict=True)]
    frame["capacity"] = [_cell(c).replace(".0", "") for c in frame["capacity"]]
    _frametable(frame, ["id", "status", "starts", "title", "location", "signed_up", "capacity", "needs"],
                 "no events yet; add one with: groundswell event add")


@event.command("show")
@click.argument("event_id", type=int)
@pass_context
def event_show(obj: Context, event_id):
    """Show an event with its needs and who is coming.

    Example: groundswell event show 2
    """
    item = obj.store.plan.get_event(event_id)
    click.echo(f"{item.title} [{item.status}, {item.visibility}]")
    click.echo(f"when: {_local(item.starts_at, item.timezone)} to {_local(item.ends_at, item.timezone)}")
    if item.location or item.online_url:
        click.echo(f"where: {' / '.join(p for p in (item.location, item.online_url) if p)}")
    if item.capacity is not None:
        click.echo(f"capacity: {item.capacity}")
    for need in item.needs:
        click.echo(f"need: {need.item}: {need.quantity} (pledged {need.pledged}, delivered {need.delivered})")
    linked = obj.store.plan.actions(item.campaign_id)
    for _, row in linked[linked["event_id"] == event_id].iterrows():
        click.echo(f"call to action {row['id']}: {row['title']} ({row['status']})")
    people = obj.store.plan.assignments(item.campaign_id)
    people = people[(people["kind"] == "event") & (people["subject_id"] == event_id)]
    for _, row in people.iterrows():
        click.echo(f"volunteer: {row['volunteer']} ({row['role'] or 'no role'}): {row['status']}")


# -- volunteers ------------------------------------------------------------------------------

@click.group()
def volunteer():
    """Volunteers: time zone, skills, consent, and handles that let their posts count.

    Example: groundswell volunteer show Priya
    """


def _volunteer_options(function):
    for option in reversed([
        click.option("--timezone", help="IANA time zone their times are shown in."),
        click.option("--contact", help="How to reach them (optional)."),
        click.option("--skill", "skills", multiple=True, help="A skill (repeat)."),
        click.option("--consent", help="When they consented to their handles being used: a date, or 'now'."),
        click.option("--handle", "handles", multiple=True,
                     help="platform:handle, e.g. x:priya or mastodon:priya@mas.to (repeat; needs consent)."),
    ]):
        function = option(function)
    return function


@volunteer.command("add")
@click.argument("name")
@_volunteer_options
@pass_context
def volunteer_add(obj: Context, name, timezone, contact, skills, consent, handles):
    """Add a volunteer.

    Example: groundswell volunteer add Priya --timezone Europe/London --consent now --handle x:priya_s --skill design
    """
    saved = obj.store.plan.save_volunteer(planner.Volunteer(
        name, timezone or "UTC", contact or "", list(skills), _consent(consent), _handles(handles)))
    click.echo(f"added volunteer {saved.id}: {saved.display_name} ({saved.timezone})")


@volunteer.command("edit")
@click.argument("name")
@click.option("--name", "new_name", help="A new display name.")
@_volunteer_options
@click.option("--withdraw-consent", is_flag=True, help="Remove consent and every stored handle.")
@pass_context
def volunteer_edit(obj: Context, name, new_name, timezone, contact, skills, consent, handles, withdraw_consent):
    """Change a volunteer; only the options given change (--skill and --handle replace the lists).

    Example: groundswell volunteer edit Priya --timezone Asia/Kolkata --handle mastodon:priya@mas.to
    """
    current = obj.store.plan.find_volunteer(name)
    for attribute, value in (("display_name", new_name), ("timezone", timezone), ("contact", contact),
                             ("consent_at", _consent(consent))):
        if value is not None:
            setattr(current, attribute, value)
    if skills:
        current.skills = list(skills)
    if handles:
        current.handles = _handles(handles)
    if withdraw_consent:
        current.consent_at, current.handles = None, {}
    obj.store.plan.save_volunteer(current)
    click.echo(f"updated volunteer {current.display_name}")


@volunteer.command("list")
@campaign_option
@pass_context
def volunteer_list(obj: Context, slug):
    """List volunteers (with --campaign, those with assignments in it).

    Example: groundswell volunteer list
    """
    campaign = obj.store.campaign(slug) if slug else None
    frame = obj.store.plan.volunteers(campaign.id if campaign else None)
    frame["consent"] = ["yes" if c else "no" for c in frame["consent"]]
    _frametable(frame, ["id", "display_name", "timezone", "consent", "handles", "assignments", "done"],
                 "no volunteers yet; add one with: groundswell volunteer add NAME")


@volunteer.command("show")
@click.argument("name")
@pass_context
def volunteer_show(obj: Context, name):
    """Show what is assigned to a volunteer, in their time zone, with what to post.

    Example: groundswell volunteer show Priya
    """
    person = obj.store.plan.find_volunteer(name)
    agenda = obj.store.plan.volunteer_agenda(person.id)
    click.echo(f"{person.display_name} ({person.timezone}); consent: {person.consent_at or 'not recorded'}")
    if not agenda:
        click.echo("nothing assigned")
    for item in agenda:
        same_day = item["local_start"].date() == item["local_end"].date()
        when = f"{item['local_start']:%a %d %b %H:%M} to " + (
            f"{item['local_end']:%H:%M %Z}" if same_day else f"{item['local_end']:%a %d %b %H:%M %Z}")
        role = f" as {item['role']}" if item["role"] else ""
        click.echo(f"- [{item['status']}] {when}: {item['title']}{role}")
        if item["message"]:
            click.echo(f"    post: {item['message']} {' '.join('#' + t for t in item['hashtags'])}".rstrip())
        if item["evidence_uid"]:
            click.echo(f"    done, seen in post {item['evidence_uid']}")


# -- assignments -----------------------------------------------------------------------------

@click.group()
def assign():
    """Put volunteers on calls to action and event roles, and track how it went.

    Example: groundswell assign add Priya --action 3
    """


@assign.command("add")
@click.argument("name")
@click.option("--action", "action_id", type=int, help="Id of a call to action.")
@click.option("--event", "event_id", type=int, help="Id of an event.")
@click.option("--role", default="", help="Their role at an event (steward, stall, speaker...).")
@click.option("--status", type=click.Choice(["invited", "accepted"]), default="invited", show_default=True)
@pass_context
def assign_add(obj: Context, name, action_id, event_id, role, status):
    """Assign a volunteer to a call to action or an event role.

    Example: groundswell assign add Priya --action 3
    """
    person = obj.store.plan.find_volunteer(name)
    made = obj.store.plan.assign(person.id, action_id=action_id, event_id=event_id, role=role, status=status)
    click.echo(f"assignment {made.id}: {person.display_name} {made.status}")


@assign.command("status")
@click.argument("assignment_id", type=int)
@click.argument("status", type=click.Choice(planner.ASSIGNMENT_STATUSES))
@click.option("--evidence", help="Uid of a collected post that shows it was done (platform:id).")
@pass_context
def assign_status(obj: Context, assignment_id, status, evidence):
    """Move an assignment: invited -> accepted / declined -> done / no_show.

    Example: groundswell assign status 7 done --evidence x:1900000000000000123
    """
    made = obj.store.plan.set_assignment_status(assignment_id, status, evidence_uid=evidence)
    click.echo(f"assignment {made.id} is {made.status}")


@assign.command("list")
@campaign_option
@click.option("--volunteer", "volunteer_name", help="Only this volunteer's assignments.")
@pass_context
def assign_list(obj: Context, slug, volunteer_name):
    """List assignments.

    Example: groundswell assign list --campaign antisocial --volunteer Priya
    """
    campaign = _campaign(obj, slug)
    person = obj.store.plan.find_volunteer(volunteer_name) if volunteer_name else None
    frame = obj.store.plan.assignments(campaign.id, volunteer_id=person.id if person else None)
    frame["starts"] = [_local(v, campaign.timezone) for v in frame["starts_at"]]
    _frametable(frame, ["id", "volunteer", "kind", "subject_id", "title", "role", "status", "starts", "evidence_uid"],
                 "no assignments yet; add one with: groundswell assign add NAME --action ID")


# -- demands ---------------------------------------------------------------------------------

@click.group()
def demand():
    """The campaign's demands, and dated updates until they are implemented (and kept).

    Example: groundswell demand list --campaign save-our-libraries
    """


@demand.command("add")
@campaign_option
@click.option("--text", required=True, help="What is demanded.")
@click.option("--decision-maker", default="", help="Who can grant it.")
@click.option("--due", help="When it should be met (date).")
@click.option("--review", help="When to check it is still kept (date).")
@click.option("--raised", help="When it was raised [default: now].")
@pass_context
def demand_add(obj: Context, slug, text, decision_maker, due, review, raised):
    """Add a demand (status: raised).

    Example: groundswell demand add --campaign save-our-libraries --text "Keep all five branches open" --decision-maker "Council cabinet" --due 2026-12-31
    """
    campaign = _campaign(obj, slug)
    saved = obj.store.plan.save_demand(planner.Demand(campaign.id, text, decision_maker, "raised", due, review),
                                tz=campaign.timezone, raised_at=raised)
    click.echo(f"added demand {saved.id}: {saved.text}")


@demand.command("edit")
@click.argument("demand_id", type=int)
@click.option("--text")
@click.option("--decision-maker")
@click.option("--due", help="Date; 'none' removes it.")
@click.option("--review", help="Date; 'none' removes it.")
@pass_context
def demand_edit(obj: Context, demand_id, text, decision_maker, due, review):
    """Change a demand's wording, decision maker or dates (status moves by update).

    Example: groundswell demand edit 1 --review 2027-03-01
    """
    current = obj.store.plan.get_demand(demand_id)
    campaign = obj.store.campaign_by_id(current.campaign_id)
    for name, value in (("text", text), ("decision_maker", decision_maker)):
        if value is not None:
            setattr(current, name, value)
    for name, value in (("due_at", due), ("review_on", review)):
        if value is not None:
            setattr(current, name, None if value.lower() == "none" else value)
    obj.store.plan.save_demand(current, tz=campaign.timezone)
    click.echo(f"updated demand {demand_id}")


@demand.command("update")
@click.argument("demand_id", type=int)
@click.option("--status", type=click.Choice(planner.DEMAND_STATUSES))
@click.option("--note", default="")
@click.option("--source", "source_url", default="", help="A link that shows it (minutes, article).")
@click.option("--evidence", help="Uid of a collected post that shows it.")
@click.option("--at", help="When it happened [default: now].")
@pass_context
def demand_update(obj: Context, demand_id, status, note, source_url, evidence, at):
    """Record a dated update on a demand: raised -> acknowledged -> promised -> partial -> implemented, or reversed / rejected.

    Example: groundswell demand update 1 --status promised --note "Cabinet minute 14" --source https://example.org/minutes
    """
    current = obj.store.plan.get_demand(demand_id)
    tz = obj.store.campaign_by_id(current.campaign_id).timezone
    made = obj.store.plan.add_demand_update(demand_id, status=status, note=note, source_url=source_url,
                                     evidence_uid=evidence, at=at, tz=tz)
    click.echo(f"demand {demand_id} is {made['status']} (update dated {_local(made['at'], tz)})")


@demand.command("list")
@campaign_option
@pass_context
def demand_list(obj: Context, slug):
    """The ledger of a campaign's demands.

    Example: groundswell demand list --campaign save-our-libraries
    """
    campaign = _campaign(obj, slug)
    frame = obj.store.plan.demands(campaign.id)
    frame["status"] = [planner.DEMAND_LABELS.get(s, s) for s in frame["status"]]
    frame["last_update"] = [_local(v, campaign.timezone)[:10] for v in frame["last_update"]]
    _frametable(frame, ["id", "status", "decision_maker", "due_at", "review_on", "last_update", "text"],
                 "no demands yet; add one with: groundswell demand add --text ...")


@demand.command("show")
@click.argument("demand_id", type=int)
@pass_context
def demand_show(obj: Context, demand_id):
    """Show a demand and every dated update.

    Example: groundswell demand show 1
    """
    item = obj.store.plan.get_demand(demand_id)
    tz = obj.store.campaign_by_id(item.campaign_id).timezone
    click.echo(f"{item.text} [{planner.DEMAND_LABELS.get(item.status, item.status)}]")
    click.echo(f"decision maker: {item.decision_maker or '-'}; due {item.due_at or '-'}; review {item.review_on or '-'}")
    for _, row in obj.store.plan.demand_updates(demand_id).iterrows():
        extra = " ".join(_cell(v) for v in (row["source_url"], row["evidence_uid"]) if _cell(v))
        click.echo(f"- {_local(row['at'], tz)[:16]} {row['status']}: {row['note']} {extra}".rstrip())


# -- calendar and sync -----------------------------------------------------------------------

@click.command()
@click.option("--ics", "path", required=True, type=click.Path(dir_okay=False), help="The file to write.")
@click.option("--volunteer", "volunteer_name", help="Only this volunteer's assignments, in their time zone.")
@click.option("--campaign", "slug", help="Only this campaign [default: every campaign].")
@click.option("--drafts", is_flag=True, help="Include drafts (as tentative).")
@pass_context
def calendar(obj: Context, path, volunteer_name, slug, drafts):
    """Write the plan as an iCalendar file (with reminders) for phones and calendar apps.

    Example: groundswell calendar --ics plan.ics --volunteer Priya
    """
    store = obj.store
    if volunteer_name:
        person = store.plan.find_volunteer(volunteer_name)
        agenda = store.plan.volunteer_agenda(person.id)
        count = calendar_feed.write_ics(calendar_feed.volunteer_calendar(person, agenda), path)
    else:
        campaigns = [store.campaign(slug)] if slug else store.campaigns()
        name = campaigns[0].name if len(campaigns) == 1 else "Groundswell plan"
        entries = store.plan.calendar_entries([c.id for c in campaigns])
        count = calendar_feed.write_ics(calendar_feed.campaign_calendar(entries, name=name, include_drafts=drafts),
                                        path)
    click.echo(f"wrote {count} entr{'y' if count == 1 else 'ies'} to {path}")


@click.group("planner")
def planner_group():
    """Keep the plan in step with the clock and the collected posts.

    Example: groundswell planner sync
    """


@planner_group.command("sync")
@campaign_option
@pass_context
def planner_sync(obj: Context, slug):
    """Move scheduled work with the clock and mark assignments done from collected posts.

    Collection runs mark assignments done after every stored batch, and the scheduler moves
    scheduled work every few minutes; run it by hand after an import.

    Example: groundswell planner sync --campaign antisocial
    """
    key_of = author_key_of(obj.settings)
    store = obj.store
    campaigns = [store.campaign(slug)] if slug else store.campaigns()
    store.plan.advance()
    for campaign in campaigns:
        result = store.plan.complete_from_mentions(campaign.id, key_of=key_of)
        click.echo(f"{campaign.slug}: {result.actions_checked} call(s) to action checked, "
                   f"{len(result.assignments_done)} assignment(s) marked done from collected posts")


COMMANDS = (narrative, action, event, volunteer, assign, demand, calendar, planner_group)

"""Volunteer reminders: on sign-up, the day before and an hour before, with their wording, share links and calendar file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar

from campaigns import calendar_feed, clock, planner
from campaigns.alert_settings import Destination, check_no_secrets, resolve
from campaigns.errors import GroundswellError, ValidationError
from campaigns.model import Campaign, iso_utc, to_datetime
from campaigns.share_links import compose_text, links_for_action

# Which reminders, and how long before the start each is due (sign-up: as soon as it is seen).
WHEN: dict[str, timedelta | None] = {"signup": None, "day_before": timedelta(days=1), "hour_before": timedelta(hours=1)}
HEADINGS = {"signup": "You're signed up", "day_before": "Tomorrow", "hour_before": "In an hour"}
# Calls to action and events in these states are reminded of; drafts and cancelled ones are not.
REMINDED_STATUSES = ("scheduled", "live")
EMAIL_RE = re.compile(r"^[^@\s:/]+@[^@\s:/]+\.[^@\s:/]+$")
MAIL_SCHEMES = ("mailto", "mailtos")
CONTACT_DESTINATION = "contact"   # the volunteer's contact is an Apprise URL of their own


class NotReachable(GroundswellError):
    """A volunteer who withdrew consent or their contact after a reminder was queued."""


@dataclass
class Reminder:
    """One reminder for one volunteer's assignment, and whether (and where) it goes."""

    campaign: Campaign
    volunteer: planner.Volunteer
    assignment_id: int
    which: str
    title: str
    starts_at: str
    due_at: datetime
    destination: str | None
    skipped: str | None = None   # why it is not sent (None: it is)
    message_title: str = ""
    body: str = ""

    @property
    def key(self) -> str:
        return f"reminder:{self.assignment_id}:{self.which}"


def reach(volunteer: planner.Volunteer, destinations: list[Destination]) -> tuple[str | None, str | None]:
    """(destination name, None) for a volunteer who can be reminded, or (None, why not)."""
    contact = (volunteer.contact or "").strip()
    if not volunteer.consent_at:
        return None, "no consent recorded"
    if not contact:
        return None, "no contact given"
    if "://" in contact:
        try:
            check_no_secrets(contact)
        except ValidationError:
            return None, "the contact is a URL with a secret written out; write it as a ${VAR} placeholder"
        return CONTACT_DESTINATION, None
    email = bool(EMAIL_RE.match(contact))
    for destination in destinations:
        if (destination.scheme in MAIL_SCHEMES) == email:
            return destination.name, None
    kind = "an email address" if email else "a contact like this"
    return None, (f"no reminder destination for {kind}: add one whose URL has {{contact}} "
                  "(groundswell alerts destination add ... --kind reminder)")


def _subject(store, row) -> planner.Action | planner.Event:
    if row["kind"] == "action":
        return store.plan.get_action(int(row["subject_id"]))
    return store.plan.get_event(int(row["subject_id"]))


def pending(store, now: datetime | None = None, campaigns: list[Campaign] | None = None) -> list[Reminder]:
    """Every reminder due now that has not gone, in time order, with those that cannot go and why."""
    now = now or clock.now()
    found: list[Reminder] = []
    for campaign in campaigns if campaigns is not None else store.campaigns(include_archived=False):
        if campaign.is_demo:
            continue
        destinations = [d for d in store.alerts.destinations(campaign.id) if d.for_reminders]
        frame = store.plan.assignments(campaign.id)
        for row in frame[frame["status"] == "accepted"].to_dict("records"):
            start = to_datetime(row["starts_at"])
            if start <= now:
                continue
            subject = _subject(store, row)
            if subject.status not in REMINDED_STATUSES:
                continue
            volunteer = store.plan.get_volunteer(int(row["volunteer_id"]))
            destination, unreachable = reach(volunteer, destinations)
            queued_signup = None
            for which, before in WHEN.items():
                due = now if before is None else start - before
                if due > now:
                    continue
                existing = store.alerts.has_message(campaign.id, destination, f"reminder:{row['id']}:{which}") \
                    if destination else None
                if which == "signup":
                    queued_signup = existing
                if existing:
                    continue
                reminder = Reminder(campaign, volunteer, int(row["id"]), which, row["title"], row["starts_at"], due,
                                    destination, skipped=unreachable)
                signed_up_at = to_datetime(queued_signup["created_at"]) if queued_signup else now
                if reminder.skipped is None and before is not None:
                    if signed_up_at >= due:
                        reminder.skipped = "signed up after this reminder was due; the sign-up message says it all"
                    elif which == "day_before" and now >= start - WHEN["hour_before"]:
                        reminder.skipped = "too late for the day before; the hour-before reminder goes instead"
                reminder.message_title, reminder.body = message(store, campaign, volunteer, subject, which,
                                                                row.get("role") or "")
                found.append(reminder)
    return sorted(found, key=lambda r: (r.due_at, r.assignment_id, list(WHEN).index(r.which)))


def queue(store, now: datetime | None = None) -> list[Reminder]:
    """Queue the reminders due now (each once); returns them all, sent or not, with the reasons."""
    now = now or clock.now()
    reminders = pending(store, now)
    for reminder in reminders:
        if reminder.destination is None:
            continue  # cannot be reached: said by the caller, looked at again next time
        store.alerts.enqueue(
            campaign_id=reminder.campaign.id, destination=reminder.destination, message_key=reminder.key,
            kind="reminder", title=reminder.message_title, body=reminder.body, due_at=iso_utc(now),
            volunteer_id=reminder.volunteer.id, assignment_id=reminder.assignment_id,
            status="skipped" if reminder.skipped else "pending", note=reminder.skipped)
    return reminders


def _when(start: str, end: str, tz: str) -> str:
    zone = ZoneInfo(tz)
    first, last = to_datetime(start).astimezone(zone), to_datetime(end).astimezone(zone)
    until = f"{last:%H:%M}" if first.date() == last.date() else f"{last:%a %d %b %Y %H:%M}"
    return f"{first:%a %d %b %Y %H:%M} to {until} ({tz})"


def message(store, campaign: Campaign, volunteer: planner.Volunteer, subject, which: str, role: str = "") -> tuple[str, str]:
    """A reminder's title and body, in the volunteer's time zone, with what is meant for them."""
    heading = f"{HEADINGS[which]}: {subject.title}" + (f" ({role})" if role else "")
    lines = [f"Hello {volunteer.display_name},", "", heading]
    if isinstance(subject, planner.Action):
        lines.append(f"When: {_when(subject.window_start, subject.window_end, volunteer.timezone)}")
        lines.append(f"What: {subject.kind}" + (f" on {subject.channel}" if subject.channel else ""))
        wording = subject.message_for(volunteer.id)
        if wording or subject.hashtags:
            lines += ["", "Your words (post them yourself):", compose_text(wording, subject.hashtags, subject.link)]
        try:
            links = links_for_action(subject, volunteer)
        except ValidationError:
            links = []
        if links:
            lines += ["", "Open it ready to post:"]
            lines += [f"- {link.label}: {link.url}" if link.url else f"- {link.label}: {link.note}" for link in links]
        if subject.goal_count:
            lines.append(f"Goal: {subject.goal_count:,}")
    else:
        lines.append(f"When: {_when(subject.starts_at, subject.ends_at, volunteer.timezone)}")
        where = subject.location or subject.online_url
        if where:
            lines.append(f"Where: {where}")
        if subject.needs:
            lines.append("Needed: " + "; ".join(f"{n.item} ({n.pledged} of {n.quantity} pledged)"
                                                for n in subject.needs))
    lines += ["", "The calendar file is attached.",
              "Groundswell never posts on anyone's behalf: the links open your own compose box.",
              f"From {campaign.name}. To stop these reminders, ask the organisers to remove your contact."]
    return heading, "\n".join(lines)


def calendar_file(store, volunteer_id: int, assignment_id: int, folder: Path) -> Path:
    """The assignment's own entry from the volunteer's calendar, as an .ics file in `folder`."""
    whole = calendar_feed.volunteer_calendar(store.plan.get_volunteer(volunteer_id),
                                             store.plan.volunteer_agenda(volunteer_id))
    wanted = f"assignment-{assignment_id}@groundswell"
    single = Calendar()
    for key, value in whole.items():
        single[key] = value
    for component in whole.subcomponents:
        if component.name != "VEVENT" or str(component.get("uid")) == wanted:
            single.add_component(component)
    path = folder / f"assignment-{assignment_id}.ics"
    path.write_bytes(single.to_ical())
    return path


def address(store, row: dict, campaign: Campaign, environ, folder: Path) -> tuple[str, str, list[Path]]:
    """(the URL as stored, resolved for this volunteer, [the calendar file]) for a queued reminder."""
    volunteer = store.plan.get_volunteer(row["volunteer_id"])
    if not volunteer.consent_at or not (volunteer.contact or "").strip():
        raise NotReachable(f"{volunteer.display_name} withdrew consent or contact after the reminder was queued")
    if row["destination"] == CONTACT_DESTINATION:
        template, url = volunteer.contact.strip(), resolve(volunteer.contact.strip(), environ)
    else:
        destination = store.alerts.destination(campaign.id, row["destination"])
        template, url = destination.url, resolve(destination.url, environ, contact=volunteer.contact.strip())
    return template, url, [calendar_file(store, volunteer.id, row["assignment_id"], folder)]

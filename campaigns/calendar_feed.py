"""The planner as an iCalendar (RFC 5545) feed: calls to action and events with time zones and alarms.

It renders the objects it is handed (campaigns.store.plan reads them); it never reads the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar
from icalendar import Event as CalendarEvent

from campaigns import clock, planner
from campaigns.model import to_datetime
from campaigns.share_links import compose_text

PRODID = "-//Groundswell//Campaign planner//EN"
# Reminders: a call to action 30 minutes before its window opens; an event the day before (to
# pack what it needs) and an hour before (to travel).
ACTION_ALARMS = (timedelta(minutes=-30),)
EVENT_ALARMS = (timedelta(days=-1), timedelta(hours=-1))
STATUS = {"draft": "TENTATIVE", "scheduled": "CONFIRMED", "live": "CONFIRMED", "done": "CONFIRMED",
          "cancelled": "CANCELLED"}


def _alarm(before: timedelta, text: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", before)
    alarm.add("description", text)
    return alarm


def _entry(uid: str, title: str, start: str, end: str, tz: str, description: str, *, location: str = "",
           url: str = "", status: str = "scheduled", alarms=(), stamp: datetime) -> CalendarEvent:
    zone = ZoneInfo(tz)
    entry = CalendarEvent()
    entry.add("uid", uid)
    entry.add("dtstamp", stamp)
    entry.add("summary", title)
    entry.add("dtstart", to_datetime(start).astimezone(zone))
    entry.add("dtend", to_datetime(end).astimezone(zone))
    entry.add("status", STATUS.get(status, "CONFIRMED"))
    if description:
        entry.add("description", description)
    if location:
        entry.add("location", location)
    if url:
        entry.add("url", url)
    for before in alarms:
        entry.add_component(_alarm(before, f"Soon: {title}"))
    return entry


def _action_description(action: planner.Action, message: str) -> str:
    lines = [f"Call to action ({action.kind})"]
    if message or action.hashtags:
        lines += ["", "Post:", compose_text(message, action.hashtags, action.link)]
    if action.channel:
        lines.append(f"Where: {action.channel}")
    if action.goal_count:
        lines.append(f"Goal: {action.goal_count}")
    return "\n".join(lines)


def _event_description(event: planner.Event) -> str:
    lines = [event.description] if event.description else []
    if event.needs:
        lines.append("Needs: " + "; ".join(f"{n.item}: {n.pledged} of {n.quantity} pledged" for n in event.needs))
    if event.capacity is not None:
        lines.append(f"Capacity: {event.capacity}")
    return "\n".join(lines)


def _new_calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def campaign_calendar(entries: Iterable[planner.Action | planner.Event], *, name: str = "Groundswell plan",
                      include_drafts: bool = False) -> Calendar:
    """Calls to action and events in the order given (store.plan.campaign_actions then
    campaign_events, campaign by campaign), each in its own time zone; drafts only when asked for."""
    stamp = clock.now()
    calendar = _new_calendar(name)
    for entry in entries:
        if entry.status == "draft" and not include_drafts:
            continue
        if isinstance(entry, planner.Action):
            calendar.add_component(_entry(
                f"action-{entry.id}@groundswell", entry.title, entry.window_start, entry.window_end,
                entry.timezone, _action_description(entry, entry.message), url=entry.link,
                location=entry.channel, status=entry.status, alarms=ACTION_ALARMS, stamp=stamp))
        else:
            calendar.add_component(_entry(
                f"event-{entry.id}@groundswell", entry.title, entry.starts_at, entry.ends_at, entry.timezone,
                _event_description(entry), location=entry.location, url=entry.online_url, status=entry.status,
                alarms=EVENT_ALARMS, stamp=stamp))
    calendar.add_missing_timezones()
    return calendar


def volunteer_calendar(volunteer: planner.Volunteer, agenda: Iterable[dict]) -> Calendar:
    """One volunteer's own assignments (store.plan.volunteer_agenda), in their time zone, with the
    wording meant for them."""
    stamp = clock.now()
    calendar = _new_calendar(f"Groundswell: {volunteer.display_name}")
    for item in agenda:
        role = f" ({item['role']})" if item["role"] else ""
        if item["kind"] == "action":
            action = item["action"]
            entry = _entry(
                f"assignment-{item['assignment_id']}@groundswell", action.title + role, action.window_start,
                action.window_end, volunteer.timezone, _action_description(action, item["message"]),
                url=action.link, location=action.channel, status=action.status, alarms=ACTION_ALARMS, stamp=stamp)
        else:
            event = item["event"]
            entry = _entry(
                f"assignment-{item['assignment_id']}@groundswell", event.title + role, event.starts_at,
                event.ends_at, volunteer.timezone, _event_description(event), location=event.location,
                url=event.online_url, status=event.status, alarms=EVENT_ALARMS, stamp=stamp)
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar


def write_ics(calendar: Calendar, path: str | Path) -> int:
    """Write a calendar to a file; returns how many entries it holds."""
    Path(path).write_bytes(calendar.to_ical())
    return len(calendar.walk("VEVENT"))

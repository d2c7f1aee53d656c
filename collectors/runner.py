"""Run one collector for one campaign: fetch page by page, map, enrich, store with the cursor, record the run."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from campaigns import safety
from campaigns.errors import GroundswellError
from campaigns.model import Campaign, iso_utc, to_datetime
from campaigns.privacy import author_key_of
from campaigns.settings import Settings
from campaigns.store import Store, now_iso
from collectors.base import (
    STOP,
    BadCredentials,
    BudgetReached,
    Collector,
    ConfigurationError,
    RateLimited,
    Rejected,
    Scope,
    SourceError,
    Stopped,
    waits_reported_to,
)
from collectors.enrich import enrich
from collectors.registry import make_collector


@dataclass
class RunResult:
    """What one run of one source did, for the closing table and `collection_runs`."""

    source: str
    campaign: str | None = None
    fetched: int = 0
    new: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    status: str = "ok"
    skipped: str | None = None
    quarantined: int = 0                 # records skipped because they could not be mapped
    first_rejected: str | None = None    # the first of them, with where it was and why
    run_id: int | None = None


# Runs under way in this process, by id: (database path, what they did so far). The scheduler
# records those still under way as stopped when it must exit before they finish.
ACTIVE_RUNS: dict[int, tuple[str, RunResult]] = {}


def listening(campaign: Campaign, source: str) -> bool:
    """Whether a campaign collects from a source: active, and the platform allowed."""
    if campaign.status not in ("active",) or campaign.is_demo:
        return False
    return not campaign.platforms or source in campaign.platforms


def run_source(store: Store, settings: Settings, source: str, campaign: Campaign, *,
               collector: Collector | None = None, should_stop: Callable[[], bool] = STOP.is_set,
               on_page: Callable[[int], None] | None = None) -> RunResult:
    """One pass of one source for one campaign, recorded in `collection_runs`.

    Each page is stored with its cursor in one transaction, so a run killed at any point
    keeps every page already stored and the next run continues where it stopped. A record
    that cannot be mapped is quarantined and the rest of its page stored; a query that fails
    is an error on the run while the others go on; anything unexpected ends the run as an
    error, never as ok. A stop ends it as `stopped`.
    """
    collector = collector or make_collector(source, settings, store)
    result = RunResult(source=source, campaign=campaign.slug)
    missing = collector.missing()
    if missing:
        result.skipped = missing
        result.status = "skipped"
        return result
    store.close_interrupted_runs(source, campaign.id)
    run_id = store.start_run(source, campaign.id)
    result.run_id = run_id
    ACTIVE_RUNS[run_id] = (str(store.path), result)
    ended = False
    try:
        with waits_reported_to(wait_reporter(store, source)):
            _run_plan(store, settings, source, campaign, collector, result, should_stop, on_page)
        ended = True
    finally:
        if not ended:  # KeyboardInterrupt, SystemExit: whatever it was, the run did not end well
            result.status = "stopped"
            result.errors.append("stopped before the run finished; the pages stored are kept")
        if result.status == "ok" and (result.errors or result.quarantined):
            result.status = "partial"
        errors = list(result.errors)
        if result.quarantined:
            errors.append(f"{result.quarantined} record(s) could not be read and were quarantined "
                          f"(first: {result.first_rejected})")
        store.finish_run(run_id, status=result.status, fetched=result.fetched, new=result.new,
                         updated=result.updated, error="; ".join(errors)[:2000] or None,
                         quarantined=result.quarantined)
        ACTIVE_RUNS.pop(run_id, None)
    if result.new:
        # New posts may be volunteers' own posts for a call to action (in any campaign they
        # matched): the planner marks those assignments done, with the post as evidence.
        store.plan.complete_all(key_of=author_key_of(settings))
        safety.check_all(store)  # pile-ons on the protected accounts of any campaign the posts met
    return result


def _run_plan(store: Store, settings: Settings, source: str, campaign: Campaign, collector: Collector,
              result: RunResult, should_stop: Callable[[], bool], on_page: Callable[[int], None] | None) -> None:
    """Every scope of the plan; sets result.status from how they ended."""
    rate_limited = False
    scopes = 0
    try:
        plan = collector.plan(campaign, store)
        result.notes.extend(plan.notes)
        scopes = len(plan.scopes)
        stop_before = iso_utc(to_datetime(campaign.starts_at, campaign.timezone))
        for scope in plan.scopes:
            if should_stop():
                raise Stopped("stopped")
            try:
                _run_scope(store, settings, source, scope, result, stop_before, should_stop, on_page)
            except (BadCredentials, BudgetReached, ConfigurationError):
                raise
            except RateLimited as error:
                rate_limited = True
                store.set_source_state(source, rate_limited_until=iso_utc_epoch(error.reset_at), note=str(error))
                result.errors.append(f"{scope.label}: {error}")
            except SourceError as error:
                result.errors.append(f"{scope.label}: {error}")
        if not rate_limited:
            store.set_source_state(source, note="; ".join(result.notes) or None)
    except Stopped:
        result.status = "stopped"
        result.errors.append("stopped by a signal before the run finished; the pages stored are kept")
    except (BadCredentials, BudgetReached, ConfigurationError) as error:
        result.errors.append(str(error))
        store.set_source_state(source, note=str(error))
        result.status = "partial" if isinstance(error, BudgetReached) else "error"
    except Exception as error:  # noqa: BLE001 - unexpected: this run is an error, the pass goes on
        result.errors.append(f"unexpected error: {describe(error)}")
        result.status = "error"
    else:
        if rate_limited:
            result.status = "rate_limited"
        elif result.errors:
            result.status = "partial" if (result.fetched or len(result.errors) < scopes) else "error"


def describe(error: BaseException) -> str:
    """An error in one line: our own errors as they are, others with their kind."""
    if isinstance(error, GroundswellError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def wait_reporter(store: Store, collector: str) -> Callable[[float | None, str | None], None]:
    """Records in source_state how long `collector` waits and why, for `status` and the Sources page."""
    def report(until: float | None, why: str | None) -> None:
        store.set_source_waiting(collector, until=iso_utc_epoch(until), reason=why)
    return report


def _run_scope(store: Store, settings: Settings, source: str, scope: Scope, result: RunResult,
               stop_before: str, should_stop: Callable[[], bool],
               on_page: Callable[[int], None] | None) -> None:
    """Finish an interrupted pass if there is one, then fetch what is newer than the last pass.

    The cursor row keeps `since_id` (everything up to it is stored) and, while a pass is under
    way, `cursor` = {"newest", "next"}: where the pass started and the page it goes on from.
    """
    state = store.cursor(source, scope.key) or {}
    since = state.get("since_id")
    resume = json.loads(state["cursor"]) if state.get("cursor") else None
    pages = 0
    resuming = resume is not None  # this pass finishes one a previous run left under way
    while pages < settings.max_pages:
        if should_stop():
            raise Stopped("stopped")
        newest = resume["newest"] if resume else None
        position = resume["next"] if resume else None
        page = scope.fetch(since, position)
        pages += 1
        newest = newest or page.newest or since
        # The originals that reposts carry are stored whatever their age (they hold the counts);
        # the pass stops at the first post of its own that is older than the campaign.
        originals = {m.reposted_uid for m in page.mentions if m.reposted_uid}
        too_old = [m for m in page.mentions if m.created_at < stop_before and m.uid not in originals]
        page_mentions = [m for m in page.mentions if m.created_at >= stop_before or m.uid in originals]
        empty = not page.mentions and not page.rejected
        done = page.next is None or empty or page.reached_since or bool(too_old)
        if done:
            values = {"since_id": newest, "cursor": None, "last_seen_at": now_iso()}
        else:
            values = {"since_id": since, "cursor": json.dumps({"newest": newest, "next": page.next}),
                      "last_seen_at": now_iso()}
        if page.rejected:
            for rejected in page.rejected:
                rejected.where = (f"{scope.label}, page {pages}" + (f" (from {position})" if position else "")
                                  + (f", item {rejected.position}" if rejected.position else ""))
            # Before the page, so a crash between the two finds the same records again, not new ones.
            store.quarantine(source, [quarantine_row(r) for r in page.rejected], run_id=result.run_id)
            result.quarantined += len(page.rejected)
            result.first_rejected = result.first_rejected or page.rejected[0].line()
        enrich(page_mentions, settings)
        stored = store.upsert_mentions(page_mentions, cursor=(source, scope.key, values))
        if page.cost:
            store.add_source_usage(source, page.cost)
        result.fetched += len(page.mentions)
        result.new += stored.new
        result.updated += stored.updated
        if on_page:
            on_page(len(page.mentions))
        if done:
            if not resuming:
                return
            # The interrupted pass is complete; now fetch what came after it started.
            since, resume, resuming = newest, None, False
        else:
            resume = {"newest": newest, "next": page.next}


def quarantine_row(rejected: Rejected) -> dict:
    return {"location": rejected.where, "field": rejected.field, "value": rejected.value,
            "reason": rejected.reason, "digest": rejected.digest}


def iso_utc_epoch(epoch: float | None) -> str | None:
    if not epoch:
        return None
    return iso_utc(datetime.fromtimestamp(epoch, UTC))


def active_campaigns(store: Store, source: str, slug: str | None = None) -> list[Campaign]:
    campaigns = [store.campaign(slug)] if slug else store.campaigns(include_archived=False)
    return [c for c in campaigns if listening(c, source) or (slug and not c.is_demo and
                                                             (not c.platforms or source in c.platforms))]

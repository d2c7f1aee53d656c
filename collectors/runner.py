"""Run one collector for one campaign: fetch page by page, map, enrich, store with the cursor, record the run."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from campaigns.model import Campaign, iso_utc, to_datetime
from campaigns.privacy import author_key_of
from campaigns.settings import Settings
from campaigns.store import Store, now_iso
from collectors.base import (
    BadCredentials,
    BudgetReached,
    Collector,
    MalformedResponse,
    RateLimited,
    Scope,
    SourceError,
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


def listening(campaign: Campaign, source: str) -> bool:
    """Whether a campaign collects from a source: active, and the platform allowed."""
    if campaign.status not in ("active",) or campaign.is_demo:
        return False
    return not campaign.platforms or source in campaign.platforms


def run_source(store: Store, settings: Settings, source: str, campaign: Campaign, *,
               collector: Collector | None = None, should_stop: Callable[[], bool] = lambda: False,
               on_page: Callable[[int], None] | None = None) -> RunResult:
    """One pass of one source for one campaign, recorded in `collection_runs`.

    Each page is stored with its cursor in one transaction, so a run killed at any point
    keeps every page already stored and the next run continues where it stopped.
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
    rate_limited = False
    try:
        plan = collector.plan(campaign, store)
        result.notes.extend(plan.notes)
        stop_before = iso_utc(to_datetime(campaign.starts_at, campaign.timezone))
        for scope in plan.scopes:
            if should_stop():
                break
            try:
                _run_scope(store, settings, source, scope, result, stop_before, should_stop, on_page)
            except (MalformedResponse, SourceError) as error:
                if isinstance(error, (BadCredentials, BudgetReached)):
                    raise
                if isinstance(error, RateLimited):
                    rate_limited = True
                    until = iso_utc_epoch(error.reset_at)
                    store.set_source_state(source, rate_limited_until=until, note=str(error))
                result.errors.append(f"{scope.label}: {error}")
        if not rate_limited:
            store.set_source_state(source, note="; ".join(result.notes) or None)
    except (BadCredentials, BudgetReached) as error:
        result.errors.append(str(error))
        store.set_source_state(source, note=str(error))
        result.status = "error" if isinstance(error, BadCredentials) else "partial"
    else:
        if rate_limited:
            result.status = "rate_limited"
        elif result.errors:
            result.status = "partial" if (result.fetched or len(result.errors) < len(plan.scopes)) else "error"
    finally:
        if result.status == "ok" and result.errors:
            result.status = "partial"
        store.finish_run(run_id, status=result.status, fetched=result.fetched, new=result.new,
                         updated=result.updated, error="; ".join(result.errors)[:2000] or None)
    if result.new:
        # New posts may be volunteers' own posts for a call to action (in any campaign they
        # matched): the planner marks those assignments done, with the post as evidence.
        store.plan.complete_all(key_of=author_key_of(settings))
    return result


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
    while pages < settings.max_pages and not should_stop():
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
        done = page.next is None or not page.mentions or page.reached_since or bool(too_old)
        if done:
            values = {"since_id": newest, "cursor": None, "last_seen_at": now_iso()}
        else:
            values = {"since_id": since, "cursor": json.dumps({"newest": newest, "next": page.next}),
                      "last_seen_at": now_iso()}
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


def iso_utc_epoch(epoch: float | None) -> str | None:
    if not epoch:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def active_campaigns(store: Store, source: str, slug: str | None = None) -> list[Campaign]:
    campaigns = [store.campaign(slug)] if slug else store.campaigns(include_archived=False)
    return [c for c in campaigns if listening(c, source) or (slug and not c.is_demo and
                                                             (not c.platforms or source in c.platforms))]

"""The source list, declared once: each collector, how often it runs, and whether its counts are refreshed.

The command line, the runner, the refresher, the scheduler and the status table all read it.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from campaigns.model import PLATFORMS
from campaigns.settings import Settings
from collectors.base import Collector, SourceError


@dataclass(frozen=True)
class Source:
    """One platform's collector: where its class is, its default interval, what the refresher does."""

    name: str
    collector: str               # "module:Class"
    interval: int                # seconds between scheduled runs; GROUNDSWELL_<NAME>_INTERVAL overrides
    needs_store: bool = False    # the collector keeps a cache or a budget in the store
    refreshed: bool = True       # the refresh job re-reads recent posts' counts


# In collection order: sources that need no credentials first, so a new install collects at once.
SOURCES: tuple[Source, ...] = (
    Source("mastodon", "collectors.mastodon:MastodonCollector", 900),
    Source("rss", "collectors.rss:RssCollector", 3600, refreshed=False),
    Source("bluesky", "collectors.bluesky:BlueskyCollector", 900, needs_store=True),
    Source("reddit", "collectors.reddit:RedditCollector", 1800),
    Source("x", "collectors.x:XCollector", 3600, needs_store=True),
)
NAMES: tuple[str, ...] = tuple(source.name for source in SOURCES)
# The refresh job's own interval, beside the sources' (GROUNDSWELL_REFRESH_INTERVAL).
REFRESH_INTERVAL = 3600
assert set(NAMES) == set(PLATFORMS), "every platform has exactly one source"


def source(name: str) -> Source:
    for candidate in SOURCES:
        if candidate.name == name:
            return candidate
    raise SourceError(f"unknown source '{name}' (one of: {', '.join(NAMES)})")


def interval(name: str, settings: Settings) -> int:
    """Seconds between scheduled runs of a source (or 'refresh'), from the environment or its default."""
    default = REFRESH_INTERVAL if name == "refresh" else source(name).interval
    return max(1, int(settings.intervals.get(name) or default))


def make_collector(name: str, settings: Settings, store) -> Collector:
    """The collector for a source name."""
    found = source(name)
    module, _, cls = found.collector.partition(":")
    collector_class = getattr(importlib.import_module(module), cls)
    return collector_class(settings, store) if found.needs_store else collector_class(settings)

"""Sources to mentions: platform collectors, file importers, enrichment and the scheduler."""

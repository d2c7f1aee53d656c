"""The benchmark: speed and memory of ingest, dashboard queries and pages at 100k and 1M mentions."""

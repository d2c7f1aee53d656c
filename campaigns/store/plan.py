"""The plan's tables: narratives, calls to action, events and needs, volunteers, assignments, demands."""

from __future__ import annotations


class Plan:
    """Verbs on the planner's tables (`store.plan`)."""

    def __init__(self, store):
        self.store = store

    @property
    def conn(self):
        return self.store.conn

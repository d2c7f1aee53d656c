"""Groundswell's core: campaigns, the mention store, metrics and the planner."""

"""The groundswell command line."""

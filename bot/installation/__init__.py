"""Feature: installation events (logged; installing files nothing by itself)."""

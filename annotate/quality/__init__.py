"""Measure pre-annotation quality against external gold corpora (MEANTIME, WikiEvents)."""

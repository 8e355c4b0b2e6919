"""Fixtures for cables in the store (make_cable, imported sample cables)."""

"""Consistency across the collection: the same information gets the same decision."""

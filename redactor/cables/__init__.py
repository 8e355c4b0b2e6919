"""Cables: parsing cable text (pure) and importing cables into the store."""

"""Fixtures for users and logging in (make_user, login)."""

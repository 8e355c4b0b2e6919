"""Helpers for tests that compare whole pages.

A page carries a CSRF token signed with the current second, so two pages fetched a moment
apart differ in that token alone when they cross a second boundary. Tests that prove two
answers are alike (a hidden cable answered as an unknown one) compare pages without it.
"""

import re

_CSRF_TOKEN = re.compile(r'(name="csrf[-_]token" (?:content|value)=")[^"]*"')


def without_csrf(page: str | bytes) -> str:
    """The page's text with every CSRF token's value emptied (the attribute stays)."""
    text = page.decode("utf-8") if isinstance(page, bytes) else page
    return _CSRF_TOKEN.sub(r'\1"', text)

"""Users, passwords, login rate limiting and server-side login sessions.

See :mod:`redactor.accounts.service`; the names most callers need are re-exported here.
"""

from redactor.accounts.service import (
    LoginRateLimited,
    LoginRefused,
    WrongPassword,
    authenticate,
    change_own_password,
    create_user,
    end_session,
    generate_password,
    get_user_by_username,
    list_users,
    resolve_session,
    set_active,
    set_clearance,
    set_hash_profile,
    set_password,
    set_roles,
    start_session,
)

__all__ = [
    "LoginRateLimited",
    "LoginRefused",
    "WrongPassword",
    "authenticate",
    "change_own_password",
    "create_user",
    "end_session",
    "generate_password",
    "get_user_by_username",
    "list_users",
    "resolve_session",
    "set_active",
    "set_clearance",
    "set_hash_profile",
    "set_password",
    "set_roles",
    "start_session",
]

"""The web layer: the application factory, blueprints, error mapping and CLI commands.

The only package that imports Flask. Views load, call one service, commit, then redirect or
render.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from redactor.audit import load_audit_key
from redactor.config import load_settings
from redactor.db import make_engine, make_session_factory
from redactor.resources import resource_dir
from redactor.web.extensions import close_db_session, csrf, login_manager
from redactor.web.inputs import DbIntConverter, refuse_unstorable_input


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the application: settings from defaults, ``REDACTOR_*`` variables, ``config``.

    Raises ``RuntimeError`` when no secret key is configured outside demo and testing, and
    ``ValueError`` for a negative ``TRUSTED_PROXIES``.
    """
    settings = load_settings(config)
    if not settings["SECRET_KEY"]:
        if not (settings["TESTING"] or settings["DEMO"]):
            raise RuntimeError(
                "REDACTOR_SECRET_KEY is not set: give the application a long random secret "
                "(for example: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        import secrets

        settings["SECRET_KEY"] = secrets.token_hex(32)

    app = Flask(
        "redactor",
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=settings["INSTANCE"],
    )
    app.config.update(settings)
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=bool(settings["SECURE_COOKIES"]),
        PERMANENT_SESSION_LIFETIME=int(settings["SESSION_LIFETIME_SECONDS"]),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the login session
    )

    trusted_proxies = int(settings["TRUSTED_PROXIES"])
    if trusted_proxies < 0:
        raise ValueError("REDACTOR_TRUSTED_PROXIES must be 0 (no proxy) or more")
    if trusted_proxies:
        # request.remote_addr becomes the client's address as the last ``trusted_proxies``
        # proxies saw it; with 0 (the default) X-Forwarded-For is ignored, since a client
        # could otherwise pick the address that the login limits and the audit record see.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted_proxies, x_proto=trusted_proxies)

    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["redactor.engine"] = engine
    audit_key = load_audit_key(settings["INSTANCE"], settings["AUDIT_KEY"])
    app.extensions["redactor.sessions"] = make_session_factory(engine, audit_key=audit_key)
    app.teardown_appcontext(close_db_session)

    # Every ``<int:...>`` of every route is a database id or index: bound it to the column's
    # range, so that no route can forget (a value outside is a 404, as an unknown id). Set
    # before the blueprints, whose rules look their converters up when they are added.
    app.url_map.converters["int"] = DbIntConverter
    login_manager.init_app(app)
    csrf.init_app(app)
    app.before_request(refuse_unstorable_input)
    _register_blueprints(app)
    return app


def _register_blueprints(app: Flask) -> None:
    # Imported here so that importing redactor.web builds nothing app-shaped.
    from redactor.web import blueprints

    for blueprint in blueprints.ALL:
        app.register_blueprint(blueprint)
    blueprints.install_hooks(app)

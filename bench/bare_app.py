"""The baseline of the page benchmarks: a bare Flask app that renders a cable with Jinja.

``gunicorn 'bench.bare_app:create_app()'`` with ``BENCH_BARE_TEXT`` naming a UTF-8 text file.
``GET /`` renders that text, split into its paragraphs, escaped, in a small HTML page: no
database, no login, no session: what serving the same text costs before the workbench does
anything. :mod:`bench.__main__` serves it with the same gunicorn settings as the workbench.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, render_template_string

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>
{% for paragraph in paragraphs %}<p class="portion" id="p{{ loop.index }}">{{ paragraph }}</p>
{% endfor %}</main></body></html>
"""


def create_app(path: str | None = None) -> Flask:
    text = Path(path or os.environ["BENCH_BARE_TEXT"]).read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    title = text.split("\n", 1)[0]
    app = Flask("bench_bare")

    @app.route("/")
    def cable() -> str:
        return render_template_string(PAGE, title=title, paragraphs=paragraphs)

    return app

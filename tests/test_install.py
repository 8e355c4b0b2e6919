"""A newcomer's first minutes: install, run the demo command, log in, fetch a page.

The wheel is built and installed into a new virtual environment outside the checkout, so a
template or static file missing from the wheel cannot hide behind the editable install the
rest of the suite runs on. The same walk is then made on the editable install itself.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.packaging


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def _demo_server(redactor_exe: Path, workdir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """Run ``redactor demo`` from ``workdir``; yield its URL and the printed passwords."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDACTOR_")}
    log_path = workdir / "demo.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [str(redactor_exe), "demo", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            output = log_path.read_text()
            if "Serving the demo" in output:
                try:
                    urllib.request.urlopen(url + "/login", timeout=5).read()
                    break
                except OSError:
                    pass
            assert process.poll() is None, f"demo exited early:\n{output}"
            assert time.monotonic() < deadline, f"demo did not start:\n{output}"
            time.sleep(0.3)
        passwords = dict(re.findall(r"^\s+([a-z0-9]+)\s+\S+\s+[A-Z_]+\s+(\S+)$", output, re.M))
        yield url, passwords
    finally:
        process.terminate()
        process.wait(timeout=30)


def _log_in_and_fetch(url: str, username: str, password: str) -> tuple[str, bytes]:
    """Log in through the form (CSRF token included); return the cable list and the CSS."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(url + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    body = urllib.parse.urlencode(
        {"csrf_token": token, "username": username, "password": password}
    ).encode()
    opener.open(url + "/login", data=body, timeout=30).read()
    page = opener.open(url + "/cables", timeout=30).read().decode()
    css = opener.open(url + "/static/css/app.css", timeout=10).read()
    return page, css


def _check_demo(redactor_exe: Path, workdir: Path) -> None:
    with _demo_server(redactor_exe, workdir) as (url, passwords):
        assert {"reviewer", "junior"} <= set(passwords), passwords
        page, css = _log_in_and_fetch(url, "reviewer", passwords["reviewer"])
        assert "09STATE52368" in page  # a sample cable, shown to a cleared user
        assert b"{" in css and len(css) > 200
    assert (workdir / "redactor-instance" / "redactor.sqlite3").exists()


def _run(argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"


def test_wheel_installs_into_a_fresh_environment_and_serves_the_demo(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)])
    wheel = next(dist.glob("redactor-*.whl"))
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "pip"), "install", "--quiet", str(wheel)])
    workdir = tmp_path / "newcomer"
    workdir.mkdir()
    _check_demo(venv / "bin" / "redactor", workdir)


def test_editable_install_serves_the_demo(tmp_path):
    _check_demo(Path(sys.executable).parent / "redactor", tmp_path)

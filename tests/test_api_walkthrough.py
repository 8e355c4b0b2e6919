"""The curl walk-through of ``docs/api.md`` runs as written, against a live server.

The ``sh`` blocks of the walk-through section are taken from the document and run, in
order, as one bash script (``set -euo pipefail``) with the real ``curl`` and ``jq``, against
the app served by Werkzeug on 127.0.0.1 (a random port) in a thread. A ``.curlrc`` adds
``--fail-with-body``, so every answer of 400 or above stops the script. The world is the
demo's as far as the walk-through needs it: the demo users it names and the sample cable
09REYKJAVIK27. The one thing replaced is ``redactor token create USER ...``: it is a shell
function that prints a token made for USER by the same service the command calls (the CLI
would need the test's instance configuration). Afterwards the test checks what each step
left: the answers' files, the downloaded PDF, the script's printed results.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

import redactor
from redactor.cables.service import import_cable
from redactor.models import Cable, Redaction, Release
from redactor.review.policy import Level, Role
from tests.test_api_support import issue_token

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
CABLE = "09REYKJAVIK27"
USERS = {
    "reviewer": Role.REVIEWER,
    "approver": Role.APPROVER,
    "release": Role.RELEASE_AUTHORITY,
    "auditor": Role.AUDITOR,
}


def walkthrough_blocks(text: str) -> list[str]:
    """The ``sh`` code blocks of the walk-through section, in order."""
    section = text.split("## Walk-through", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.S)


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def demo_world(app, session, make_user) -> dict[str, str]:
    sample = Path(redactor.__file__).parent / "sample_cables" / f"{CABLE}.txt"
    import_cable(session, None, sample.name, sample.read_bytes(),
                 max_bytes=int(app.config["MAX_IMPORT_BYTES"]))
    secrets = {}
    for username, role in USERS.items():
        user, _ = make_user(username, roles=(role,), clearance=Level.TOP_SECRET)
        secrets[username] = issue_token(session, user, "walkthrough")
    session.commit()
    return secrets


def test_the_blocks_are_found():
    blocks = walkthrough_blocks(DOC.read_text(encoding="utf-8"))
    assert len(blocks) == 8 and all("curl" in block or "token" in block for block in blocks)


def test_the_walkthrough_runs_as_written(live_server, demo_world, tmp_path, session):
    for tool in ("curl", "jq", "python3"):  # Debian: apt-get install curl jq
        assert shutil.which(tool), f"the walk-through needs {tool}"
    blocks = walkthrough_blocks(DOC.read_text(encoding="utf-8"))
    script = "\n".join(blocks).replace(
        "BASE=http://127.0.0.1:5000/api/v1", f"BASE={live_server}/api/v1"
    )
    assert f"BASE={live_server}/api/v1" in script  # the document still names the demo's port
    tokens = "\n".join(f"    {name}) echo {secret} ;;" for name, secret in demo_world.items())
    prelude = (
        "set -euo pipefail\n"
        "redactor() {  # redactor token create USER ...: the test's token for USER\n"
        f'  case "$3" in\n{tokens}\n    *) return 1 ;;\n  esac\n}}\n'
    )
    (tmp_path / ".curlrc").write_text("--fail-with-body\n--max-time 60\n")
    done = subprocess.run(
        ["bash", "-c", prelude + script],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "CURL_HOME": str(tmp_path), "HOME": str(tmp_path),
             "LANG": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    out = done.stdout

    # 1. The search found the cable; the detail was saved.
    assert f'"{CABLE}"' in out
    cable = json.loads((tmp_path / "cable.json").read_text())
    assert cable["reference_id"] == CABLE and cable["portions"]
    # 2. The proposal covers the name.
    made = json.loads((tmp_path / "redaction.json").read_text())
    assert made["status"] == "pending"
    assert cable["text"][made["start"]:made["end"]] == "J. Nathaniel Hatcher"
    # 3. Approved by another person.
    assert '"status": "approved"' in out
    # 4. Every portion reviewed: one 200 per portion, nothing else.
    codes = re.search(r"^((?:\d{3} )+)$", out, flags=re.M)
    assert codes and codes.group(1).split() == ["200"] * len(cable["portions"])
    # 5. Released, with its three files.
    release = json.loads((tmp_path / "release.json").read_text())
    assert release["reference_id"] == CABLE
    assert [a["name"] for a in release["artifacts"]] == ["pdf", "txt", "json"]
    # 6. The PDF, under the document number.
    pdf = tmp_path / f"{release['doc_number']}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    # 7. The audit record verifies.
    assert '"ok": true' in out and '"summary":' in out
    assert out.count('"actor_name":') == 10

    stored = session.scalars(select(Redaction).join(Cable).where(
        Cable.reference_id == CABLE)).one()
    assert str(stored.status) == "approved"
    assert session.scalars(select(Release)).one().id == release["id"]
    session.rollback()

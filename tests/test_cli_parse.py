"""The ``redactor parse`` command."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from redactor.cli.parse import parse_command

CABLES = Path(__file__).resolve().parent / "data" / "cables"
FILES = sorted(str(p) for p in CABLES.glob("*.txt"))

TOP_KEYS = {
    "file", "reference_id", "created", "released", "classification", "origin", "header",
    "banner", "caveats", "decl", "tags", "subject", "references", "classified_by",
    "paragraphs", "signature", "warnings", "spans",
}
SPAN_KEYS = {"subject", "tags", "references", "classified_by", "decl", "signature"}


def run(*args: str):
    return CliRunner().invoke(parse_command, list(args))


def test_json_over_all_cables_gives_one_object_per_cable_with_every_key():
    result = run("--json", *FILES)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(FILES) == 71
    for path, line in zip(FILES, lines, strict=True):
        obj = json.loads(line)
        assert TOP_KEYS <= set(obj), TOP_KEYS - set(obj)
        assert obj["file"] == path
        assert Path(path).stem.startswith(obj["reference_id"][:2])
        assert set(obj["header"]) >= {"precedence", "dtg", "from", "to", "info",
                                      "partial_extract"}
        assert set(obj["decl"]) >= {"order", "text", "date"}
        assert set(obj["classified_by"]) >= {"text", "by", "reasons"}
        assert set(obj["spans"]) >= SPAN_KEYS
        for p in obj["paragraphs"]:
            assert set(p) >= {"kind", "number", "marking", "level", "caveats", "start", "end"}
        for r in obj["references"]:
            assert set(r) >= {"label", "text", "cable_id"}
        for w in obj["warnings"]:
            assert set(w) >= {"code", "message", "start"}


def test_json_values_for_the_seed_cable():
    result = run("--json", str(CABLES / "09STATE52368.txt"))
    obj = json.loads(result.stdout)
    text = (CABLES / "09STATE52368.txt").read_text(encoding="utf-8")
    assert obj["created"] == "2009-05-21T19:07:00"
    assert obj["released"] == "2010-12-01T23:11:00"
    assert obj["header"]["from"] == "SECSTATE WASHDC"
    assert obj["decl"] == {"order": "12958", "text": "05/19/2019", "date": "2019-05-19"}
    assert obj["references"][0]["cable_id"] == "08LONDON3082"
    assert obj["classified_by"]["reasons"] == ["1.4(B)", "1.4(D)"]
    start, end = obj["spans"]["subject"]
    assert text[start:end] == "U.S.-UK CLUSTER MUNITIONS DIALOGUE"
    start, end = obj["spans"]["signature"]
    assert text[start:end] == "CLINTON"
    assert obj["paragraphs"][1]["marking"] == "(C)" and obj["paragraphs"][1]["level"] == "C"


def test_absent_elements_are_null_or_empty():
    result = run("--json", str(CABLES / "09SAOPAULO660.txt"))
    obj = json.loads(result.stdout)
    assert obj["subject"] is None
    assert obj["spans"]["subject"] is None
    assert obj["classified_by"] == {"text": None, "by": None, "reasons": []}


def test_bad_file_among_good_ones_is_reported_and_the_others_still_parsed(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("09STATE1\nCafé\n".encode("latin-1"))
    good = [str(CABLES / "09STATE52368.txt"), str(CABLES / "09VILNIUS84.txt")]
    result = run("--json", good[0], str(bad), good[1])
    assert result.exit_code == 1
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["reference_id"] for o in objs] == ["09STATE52368", "09VILNIUS84"]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 1
    assert str(bad) in errors[0] and "12" in errors[0]


def test_missing_file_is_reported_and_exit_status_is_1(tmp_path):
    missing = tmp_path / "nope.txt"
    result = run(str(missing), str(CABLES / "09STATE52368.txt"))
    assert result.exit_code == 1
    assert str(missing) in result.stderr
    assert "09STATE52368" in result.stdout


def test_human_summary_names_the_main_fields():
    result = run(str(CABLES / "09VILNIUS84.txt"))
    assert result.exit_code == 0
    out = result.stdout
    assert "09VILNIUS84" in out
    assert "AMBASSADOR AND DEFENSE MINISTER PLAN FOR SECRETARY GATES MEETING" in out
    assert "marking-above-classification" in out

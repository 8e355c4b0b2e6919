"""Generated requests (Schemathesis, from the OpenAPI description) against the app over WSGI.

With a valid token of a user holding every role, from valid and from invalid data: no answer
is a server error, and every answer (status, content type, body) matches what the
description says. The store holds a
cable with a pending proposal and a released cable, and the description's path parameters
carry their ids as examples, so that generated requests reach real objects as well as
unknown ones. Bounded: ``MAX_EXAMPLES`` per operation, no shrinking.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from redactor.redaction import service as redactions
from redactor.release import service as releases
from redactor.review import service as review
from redactor.review.policy import Level, Role
from redactor.web.api.spec import build_spec
from tests.test_api_support import BODY, issue_token, offsets_of

MAX_EXAMPLES = 20
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class FuzzWorld:
    secret: str
    reference_id: str
    redaction_id: int
    release_id: int


@pytest.fixture
def fuzz_world(session, make_user, make_cable) -> FuzzWorld:
    proposer, _ = make_user("fuzz-proposer", roles=(Role.REVIEWER,))
    approver, _ = make_user("fuzz-approver", roles=(Role.APPROVER,))
    authority, _ = make_user("fuzz-authority", roles=(Role.RELEASE_AUTHORITY,))
    caller, _ = make_user("fuzz-caller", roles=tuple(Role), clearance=Level.TOP_SECRET)

    pending_cable = make_cable("09FUZZ1", "CONFIDENTIAL", body=BODY)
    start, end = offsets_of(pending_cable.versions[-1].text, "QZJNAMEONE")
    pending = redactions.propose(
        session, proposer, pending_cable, start=start, end=end, codes=["B6"]
    )
    redactions.comment(session, approver, pending, "Public already?")

    released_cable = make_cable("09FUZZ2", "SECRET", body=BODY.replace("(C)", "(S)"))
    text = released_cable.versions[-1].text
    start, end = offsets_of(text, "QZJNAMEONE")
    done = redactions.propose(session, proposer, released_cable, start=start, end=end,
                              codes=["B6"])
    redactions.approve(session, approver, done, expected_row_version=done.row_version)
    for portion in released_cable.versions[-1].portions:
        review.mark_portion_reviewed(session, proposer, released_cable, portion.index)
    release = releases.release_cable(session, authority, released_cable)
    session.commit()
    return FuzzWorld(
        secret=issue_token(session, caller, "fuzz"),
        reference_id=pending_cable.reference_id,
        redaction_id=pending.id,
        release_id=release.id,
    )


def _with_examples(spec: dict, world: FuzzWorld) -> dict:
    examples = {
        "reference_id": world.reference_id,
        "redaction_id": world.redaction_id,
        "release_id": world.release_id,
        "index": 0,
    }
    for item in spec["paths"].values():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path" and parameter["name"] in examples:
                    parameter["example"] = examples[parameter["name"]]
    return spec


@pytest.fixture
def api_schema(app, fuzz_world):
    loaded = schemathesis.openapi.from_dict(_with_examples(build_spec(), fuzz_world))
    loaded.app = app
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        no_shrink=True,
    )
    return loaded


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_generated_requests_get_no_server_error_and_match_the_description(case, fuzz_world):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {fuzz_world.secret}"}, checks=CHECKS
    )

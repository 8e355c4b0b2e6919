"""What the API's areas share: the declaration of an operation, the input types, errors,
cursors, loading, and the replies that several areas give.

Each view is declared with :func:`operation`: its method and path, the Pydantic models of
its request body, query arguments and reply, and the error statuses it may answer. The
declaration is used twice: by :func:`operation`'s wrapper, which validates the input with the
models before the view runs (and turns the view's reply model into JSON), and by
:mod:`redactor.web.api.spec`, which composes the OpenAPI document from the same models. So
what the API accepts and answers is what the document says, by construction.

Validation maps to the API's errors as the hand-written readers did: a body that is not a
JSON object, a missing, unknown or mistyped field (strict: ``1.0``, ``"1"`` and ``true`` are
not integers), or a bad query argument is 400 ``bad_request``; text no column can store (a
NUL, an unpaired surrogate) and more than 100 exemption codes are 422 ``invalid``, as the
service's own refusals of content.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import wraps
from typing import Annotated, Any, Literal, NoReturn, TypeVar

from flask import Response, current_app, g, jsonify, request, url_for
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError
from sqlalchemy import select

from redactor.cables.access import get_visible_cable
from redactor.cables.service import REFERENCE_ID_RE
from redactor.errors import InvalidInput, NotFound
from redactor.models import (
    MAX_ID,
    Cable,
    CableStatus,
    CableVersion,
    Redaction,
    RedactionStatus,
    Release,
    ReleaseArtifact,
    User,
)
from redactor.release import service as releases
from redactor.review import service as review
from redactor.review.policy import Level
from redactor.web.extensions import db_session
from redactor.web.inputs import unstorable

M = TypeVar("M", bound=BaseModel)
MAX_QUERY_LENGTH = 200
MAX_CODES = 100

# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """A request this API refuses before any service is called: ``status``, ``code``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one error shape of this API."""
    return {"error": {"code": code, "message": message}}


def error_response(status: int, code: str, message: str) -> Response:
    """An answer in the error shape, with ``WWW-Authenticate`` on a 401."""
    response = jsonify(error_body(code, message))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="redactor"'
    return response


def malformed(message: str) -> NoReturn:
    """Refuse a malformed request (400)."""
    raise ApiError(400, "bad_request", message)


#: Pydantic error types that are refusals of content (422), not of form (400).
_CONTENT_ERRORS = {"unstorable", "too_many_codes"}


def _place(loc: tuple[int | str, ...]) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc)
    text = text.lstrip(".") or "body"
    return repr(text if len(text) <= 80 else text[:79] + "…")


def refuse(exc: ValidationError, what: str) -> NoReturn:
    """Raise the API's refusal for a failed validation of ``what`` ("field", "argument")."""
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    form = [e for e in errors if e["type"] not in _CONTENT_ERRORS]
    first = (form or errors)[0]
    place = _place(first["loc"])
    if not form:
        raise InvalidInput(f"the {what} {place}: {first['msg']}")
    if first["type"] == "missing":
        malformed(f"the {what} {place} is required")
    if first["type"] == "extra_forbidden":
        malformed(f"unknown {what}: {place}")
    malformed(f"the {what} {place}: {first['msg']}")


# --------------------------------------------------------------------------- input types


def _storable(value: str) -> str:
    if unstorable(value):
        raise PydanticCustomError("unstorable", "contains a NUL character or an unpaired surrogate")
    return value


def _at_most_codes(value: list[str]) -> list[str]:
    if len(value) > MAX_CODES:
        raise PydanticCustomError("too_many_codes", f"at most {MAX_CODES} exemption codes")
    return value


def _digits(value: Any) -> Any:
    # Query arguments are text: only plain digits are a number ("+5", "5_0", "5.0" are not).
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,12}", value):
        raise PydanticCustomError("int_parsing", "must be an integer")
    return value


def _iso_day(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise PydanticCustomError("date_parsing", "must be a date (YYYY-MM-DD)")
    return value


def _before_last_day(value: date) -> date:
    if value >= date.max:  # an inclusive end is the next day's start: keep one in range
        raise PydanticCustomError("date_range", "lies too far in the future")
    return value


#: Text of a request body: a JSON string that a text column can store.
Text = Annotated[StrictStr, AfterValidator(_storable)]
#: Exemption codes, as written (the service checks each against the list of codes).
Codes = Annotated[list[Text], AfterValidator(_at_most_codes), Field(json_schema_extra={
    "maxItems": MAX_CODES})]


def one_of(values: Any) -> Any:
    """The type of a string that is one of ``values``."""
    return Literal[tuple(values)]


def query_text(limit: int) -> Any:
    """The type of a query argument's text: at most ``limit`` characters, no control
    characters."""
    return Annotated[
        str, StringConstraints(max_length=limit, pattern=r"^[^\x00-\x1f\x7f-\x9f]*$")
    ]


def query_int(minimum: int, maximum: int) -> Any:
    """The type of an integer query argument in ``[minimum, maximum]``."""
    return Annotated[int, Field(ge=minimum, le=maximum), BeforeValidator(_digits)]


SearchText = query_text(MAX_QUERY_LENGTH)
ShortText = query_text(64)


QueryDate = Annotated[date, BeforeValidator(_iso_day), AfterValidator(_before_last_day)]
VersionNumber = query_int(1, MAX_ID)
Cursor = Annotated[str, Field(max_length=100, description="Opaque: the next_cursor of the "
                              "previous page.")]
#: A moment, written ISO 8601 (UTC) by :func:`iso`.
DateTime = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class Body(BaseModel):
    """A request body: exactly the declared fields (a misspelt ``"verison"`` is refused)."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """Query arguments: other arguments are ignored, as by any web page."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Reply(BaseModel):
    """A JSON answer: exactly the declared fields."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --------------------------------------------------------------------------- operations


@dataclass(frozen=True)
class Operation:
    """One operation of the API, as :func:`operation` declared it."""

    method: str
    rule: str
    endpoint: str
    operation_id: str
    summary: str
    description: str
    handler: Callable[..., Any]
    reply: type[BaseModel] | None
    status: int
    body: type[BaseModel] | None
    body_required: bool
    query: type[BaseModel] | None
    errors: tuple[int, ...]
    public: bool
    content: dict[str, Any] | None


#: Every declared operation, in declaration order (registered by ``redactor.web.api``).
OPERATIONS: list[Operation] = []


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def operation(
    method: str,
    rule: str,
    summary: str,
    *,
    reply: type[BaseModel] | None,
    status: int = 200,
    body: type[BaseModel] | None = None,
    body_required: bool = True,
    query: type[BaseModel] | None = None,
    errors: tuple[int, ...] = (),
    public: bool = False,
    commits: bool = False,
    operation_id: str | None = None,
    content: dict[str, Any] | None = None,
    guard: Callable[[], None] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a view: it receives its path arguments, ``body`` (an instance of ``body``)
    and ``args`` (of ``query``) when declared, and returns an instance of ``reply`` (or a
    :class:`Response` for a file). ``commits``: commit the request's session after the view
    returns (never when it raises). ``errors``: the statuses besides 400 and 401 it may
    answer, for the document. ``guard``: a check of the caller (a role) made before the
    input is read, so that who may not call the operation learns nothing from its input."""

    def declare(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def handler(**path: Any) -> Any:
            kwargs = dict(path)
            if guard is not None:
                guard()
            if body is not None:
                kwargs["body"] = read_body(body)  # empty: {}, so optional as declared
            if query is not None:
                kwargs["args"] = read_query(query)
            result = view(**kwargs)
            if not isinstance(result, Response):
                result = jsonify(result.model_dump(mode="json", by_alias=True))
                result.status_code = status
            if commits:
                db_session().commit()
            return result

        OPERATIONS.append(
            Operation(
                method=method.upper(),
                rule=rule,
                endpoint=view.__name__,
                operation_id=operation_id or _camel(view.__name__),
                summary=summary,
                description=(view.__doc__ or "").strip(),
                handler=handler,
                reply=reply,
                status=status,
                body=body,
                body_required=body_required,
                query=query,
                errors=errors,
                public=public,
                content=content,
            )
        )
        return handler

    return declare


def read_body(model: type[M]) -> M:
    """The request body validated by ``model``; an empty body is ``{}``. 400 for anything
    but a JSON object; 413 when it is larger than ``MAX_CONTENT_LENGTH`` (raised by Werkzeug
    while reading)."""
    raw = request.get_data(cache=True)
    value: Any = {}
    if raw.strip():
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            malformed("the body is not valid JSON")
    if not isinstance(value, dict):
        malformed("the body must be a JSON object")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        refuse(exc, "field")


def read_query(model: type[M]) -> M:
    """The query arguments validated by ``model`` (each stripped; an empty one is absent)."""
    values = {key: value.strip() for key, value in request.args.items()}
    try:
        return model.model_validate({key: value for key, value in values.items() if value})
    except ValidationError as exc:
        refuse(exc, "argument")


# --------------------------------------------------------------------------- cursors


def encode_cursor(kind: str, value: int) -> str:
    """An opaque cursor: clients hand it back, never build it."""
    raw = json.dumps({"k": kind, "v": value}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, raw: str | None) -> int | None:
    """The position in cursor ``raw`` (None when absent); 400 for a cursor this API did not
    make for this list."""
    if not raw:
        return None
    try:
        decoded = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        value = decoded["v"]
        if decoded["k"] != kind or type(value) is not int or not 0 <= value <= MAX_ID:
            raise ValueError
    except (ValueError, TypeError, KeyError, binascii.Error):
        malformed("the cursor is not one this list gave out")
    return value


# --------------------------------------------------------------------------- loading


def actor() -> User:
    """The user the request's token authenticates."""
    return g.api_actor


def visible_cable(reference_id: str) -> Cable:
    """The cable the caller may see, or 404 (a malformed id is as unknown as any other)."""
    if not REFERENCE_ID_RE.fullmatch(reference_id):
        raise NotFound("no such cable")
    return get_visible_cable(db_session(), actor(), reference_id)


def load_redaction(redaction_id: int) -> Redaction:
    """Redaction ``redaction_id`` or 404; the service checks the caller's clearance."""
    redaction = db_session().get(Redaction, redaction_id)
    if redaction is None:
        raise NotFound("no such redaction")
    return redaction


def approvals_required() -> int:
    return int(current_app.config.get("APPROVALS_REQUIRED") or 1)


def iso(moment: datetime | date | None) -> str | None:
    """ISO 8601; stored times are UTC (SQLite hands them back naive)."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat()
    return moment.isoformat()


# --------------------------------------------------------------------------- shared replies


class ErrorDetail(Reply):
    code: str = Field(description="Stable, for programs.")
    message: str = Field(description="For people.")


class Error(Reply):
    """The one error shape of this API."""

    error: ErrorDetail


class UserRef(Reply):
    id: int
    username: str


LevelName = one_of(Level.__members__)
CableState = one_of([s.value for s in CableStatus])
DecisionKind = one_of(["approve", "reject"])
RedactionState = one_of([s.value for s in RedactionStatus])
EffectiveState = one_of([*(s.value for s in RedactionStatus), "awaiting"])


class DecisionReply(Reply):
    id: int
    kind: DecisionKind
    approver: UserRef
    reason: str
    revision: int
    void: bool
    created_at: DateTime


class RedactionReply(Reply):
    """A proposal."""

    id: int
    reference_id: str
    version: int
    portion_index: int | None
    start: int
    end: int
    codes: list[str]
    rationale: str
    status: RedactionState
    revision: int
    row_version: int = Field(description="Send it back as `version` with every decision or edit.")
    proposer: UserRef
    approvals: int
    approvals_required: int
    effective_status: EffectiveState = Field(
        description="The status under the approvals now required: `awaiting` is an approved "
        "redaction short of them (still hidden; the release waits).",
    )
    replaces_id: int | None = Field(description="The approved redaction this pending change "
                                    "(or withdrawal request) replaces once a second person "
                                    "approves it.")
    withdraws: bool
    decisions: list[DecisionReply]
    created_at: DateTime
    updated_at: DateTime


def _user(user: User | None) -> UserRef:
    assert user is not None  # held by a foreign key
    return UserRef(id=user.id, username=user.username)


def redaction_reply(redaction: Redaction, reference_id: str, version: int) -> RedactionReply:
    """A redaction as the API shows it, on version ``version`` of cable ``reference_id``."""
    valid = review.valid_approvals(redaction, list(redaction.decisions))
    required = approvals_required()
    return RedactionReply(
        id=redaction.id,
        reference_id=reference_id,
        version=version,
        portion_index=redaction.portion_index,
        start=redaction.start,
        end=redaction.end,
        codes=list(redaction.codes),
        rationale=redaction.rationale,
        status=str(redaction.status),
        revision=redaction.revision,
        row_version=redaction.row_version,
        proposer=_user(redaction.proposer),
        approvals=len(valid),
        approvals_required=required,
        effective_status=review.effective_status(redaction, required),
        replaces_id=redaction.replaces_id,
        withdraws=bool(redaction.withdraws),
        decisions=[
            DecisionReply(
                id=d.id, kind=str(d.kind), approver=_user(d.approver), reason=d.reason,
                revision=d.revision, void=bool(d.void), created_at=iso(d.created_at),
            )
            for d in redaction.decisions
        ],
        created_at=iso(redaction.created_at),
        updated_at=iso(redaction.updated_at),
    )


def redaction_of(redaction: Redaction) -> RedactionReply:
    """:func:`redaction_reply` on the redaction's own cable and version."""
    session = db_session()
    cable = session.get(Cable, redaction.cable_id)
    version = session.get(CableVersion, redaction.version_id)
    assert cable is not None and version is not None  # held by foreign keys
    return redaction_reply(redaction, cable.reference_id, version.number)


ArtifactName = one_of(kind for kind, _ in releases.ARTIFACT_KINDS)


class ArtifactReply(Reply):
    name: ArtifactName
    file_name: str
    media_type: str
    sha256: str
    size: int
    url: str


class ReleaseReply(Reply):
    """The release."""

    id: int
    reference_id: str
    version: int | None
    case_number: str
    doc_number: str
    disposition: str
    released_at: DateTime
    released_by: int
    audit_head: str | None
    record: dict[str, Any]
    artifacts: list[ArtifactReply]


def release_reply(release: Release, reference_id: str) -> ReleaseReply:
    """A release of cable ``reference_id`` with its record and files."""
    session = db_session()
    version = session.get(CableVersion, release.version_id)
    artifacts = session.execute(
        select(
            ReleaseArtifact.name,
            ReleaseArtifact.media_type,
            ReleaseArtifact.sha256,
            ReleaseArtifact.size,
        )
        .where(ReleaseArtifact.release_id == release.id)
        .order_by(ReleaseArtifact.id)
    ).all()
    return ReleaseReply(
        id=release.id,
        reference_id=reference_id,
        version=version.number if version is not None else None,
        case_number=release.case_number,
        doc_number=release.doc_number,
        disposition=release.disposition,
        released_at=iso(release.released_at),
        released_by=release.released_by_id,
        audit_head=release.audit_head,
        record=releases.manifest_record(release.record, names_staff=True),
        artifacts=[
            ArtifactReply(
                name=row.name,
                file_name=releases.file_name(release.doc_number, row.name),
                media_type=row.media_type,
                sha256=row.sha256,
                size=row.size,
                url=url_for("api.release_artifact", release_id=release.id, name=row.name),
            )
            for row in artifacts
        ],
    )

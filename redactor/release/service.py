"""Release services: release a reviewed cable, fetch its files, export a release package.

SQLAlchemy only, no Flask; the acting user is an argument; services flush and never commit.
Order of checks, as elsewhere: clearance (``NotFound``), policy (``NotPermitted``),
transition (``IllegalTransition``), input (``InvalidInput``).

How a release is made (:func:`release_cable`, planned by :func:`plan_release`)
----------------------------------------------------------------------------------
1. The cable's row is locked; it must be ``ready`` with no proposal pending.
2. The release date (default today) must lie between the cable's own date (or 1900) and
   tomorrow (:func:`check_release_date`). Numbers: the case number given (checked) or a new
   one, ``F-<year>-NNNNN`` (the lowest free in the year of the release date, so a typed
   number never exhausts the automatic ones); a document number ``C`` + 8 digits (next free). On
   PostgreSQL a transaction-scoped advisory lock serialises numbering; SQLite's
   ``BEGIN IMMEDIATE`` already does.
3. The releasable document is rendered from the current version and its approved spans
   (:func:`redactor.redaction.review.service.approved_spans`); the PDF, text and JSON are
   written from it alone.
4. **The gate** (:mod:`redactor.release.gate`) scans the files for the hidden text *before*
   anything is written. A finding appends a ``release.gate_failed`` audit entry (artifacts
   and checks only) and raises :class:`ReleaseBlocked`. Nothing else has been written at that
   point, so the caller **commits** on ``ReleaseBlocked`` (the web view and CLI do): the
   refusal is then on record while no release exists.
5. The immutable :class:`~redactor.models.Release` row is stored with its record (below), the
   files as :class:`~redactor.models.ReleaseArtifact` rows, the cable becomes ``released``,
   and ``release.create`` is audited.

The record
----------
Who released, when, the cable (row id, version number, and its reference id when the
released text prints it), the numbers, disposition and codes, every approved redaction (id,
codes, revision, proposer, each valid approval with its approver and time, and the number of
the excision it became), the SHA-256 and size of each file, and the audit head (seq and MAC)
at the time of release. Nothing in it is a function of the withheld text: no digest of the
original text (with the released text, a digest of the original confirms a guessed hidden
value offline), no offset or length in it, no cable text. So it can travel with the files.
A package's manifest carries the records without staff names unless
``MANIFEST_NAMES_STAFF`` is on (:func:`manifest_record`).

A later release of the same cable (after its review reopens) is a new row; the earlier one
stays unchanged (triggers refuse UPDATE and DELETE on both tables).

``DENIED IN FULL``: the document is not published. Its files are a withdrawal notice
(:mod:`redactor.release.notice`: reference, date, pages, codes, case) that holds no text of
the cable; the record is kept like any other (``"published": "notice"``). A package carries
the notice; of a denial made before notices existed (its files held the document) it
carries the record only.

The confirmation page and the release both call :func:`plan_release`: what the page shows
(numbers, stamp, codes, excisions, pages) is what the release stores, and the release
refuses (:class:`PlanChanged`) when the numbers or stamp confirmed are no longer those.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from redactor import audit
from redactor.errors import DomainError, IllegalTransition, NotFound, NotPermitted
from redactor.models import (
    Cable,
    CableStatus,
    CableVersion,
    Portion,
    Redaction,
    Release,
    ReleaseArtifact,
    User,
    utcnow,
)
from redactor.release import diff as diffs
from redactor.release import writers

# Re-exported (``as`` names): callers and tests reach them as ``service.plan_release``...
from redactor.release.building import ARTIFACT_KINDS as ARTIFACT_KINDS
from redactor.release.building import build_document as build_document
from redactor.release.building import file_name as file_name
from redactor.release.building import (
    gate,
    printed_reference,
)
from redactor.release.building import portion_contents as portion_contents
from redactor.release.building import preview_document as preview_document
from redactor.release.building import visible_forms as visible_forms
from redactor.release.building import write_artifacts as write_artifacts
from redactor.release.gate import GateFinding
from redactor.release.plan import PlanChanged as PlanChanged
from redactor.release.plan import ReleasePlan as ReleasePlan
from redactor.release.plan import case_is_visible as case_is_visible
from redactor.release.plan import is_ready as is_ready
from redactor.release.plan import plan_release as plan_release
from redactor.release.render import Disposition, ReleasableDocument
from redactor.review import states
from redactor.review.policy import can_release
from redactor.review.service import (
    approved_spans,
    flush,
    require_visible,
    valid_approvals,
    version_of,
)

PACKAGE_FORMAT = "redactor-release-package/1"
#: The date every member of a release package carries, so that packages are reproducible.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


class ReleaseBlocked(DomainError):
    """The release gate found hidden text in an artifact; nothing was released.

    ``findings`` name the artifacts and checks (never the hidden text). A
    ``release.gate_failed`` audit entry was appended: the caller commits it.
    """

    code = "release_blocked"

    def __init__(self, findings: Sequence[GateFinding]) -> None:
        self.findings = tuple(findings)
        names = ", ".join(sorted({f"{f.artifact} ({f.check})" for f in self.findings}))
        # Each visible occurrence is named, so the reviewer can find and redact it.
        places = [f.detail for f in self.findings if f.check == "visible occurrence"]
        more = f"; {'; '.join(places)}" if places else ""
        super().__init__(f"the release gate refused the release: {names}{more}")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def _user(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "username": user.username}


def _redaction_records(
    session: Session, approved: Sequence[Redaction], doc: ReleasableDocument
) -> list[dict[str, Any]]:
    """The release record's account of the ``approved`` redactions (as
    :func:`approved_redactions` returns them): who proposed and approved each, and the
    excision of ``doc`` it falls in."""
    # Excision numbers follow text order; the merged spans are recomputed from the rows.
    merged: list[tuple[int, int]] = []
    for row in approved:
        if merged and row.start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], row.end))
        else:
            merged.append((row.start, row.end))
    proposer_ids = {r.proposer_id for r in approved}
    proposers = {u.id: u for u in session.scalars(select(User).where(User.id.in_(proposer_ids)))}
    records = []
    for row in approved:
        excision = next(i for i, (a, b) in enumerate(merged, 1) if a <= row.start < b)
        records.append(
            {
                "id": row.id,
                "codes": list(row.codes),
                "revision": row.revision,
                "excision": excision,
                "proposer": _user(proposers[row.proposer_id]),
                "proposed_at": _iso(row.created_at),
                "approvals": [
                    {
                        "decision_id": d.id,
                        "approver": _user(d.approver),
                        "at": _iso(d.created_at),
                    }
                    for d in valid_approvals(row, list(row.decisions))
                ],
            }
        )
    assert len(merged) == len(doc.excisions), "excisions and approved spans disagree"
    return records


# --------------------------------------------------------------------------- services


def release_cable(
    session: Session,
    actor: User,
    cable: Cable,
    *,
    case_number: str | None = None,
    existing_case: bool = False,
    release_date: date | None = None,
    approvals_required: int = 1,
    expected: dict[str, str] | None = None,
) -> Release:
    """Release the current version of ``cable`` with its approved redactions, as
    :func:`plan_release` plans it.

    ``expected`` (from the confirmation page: ``doc_number``, ``case_number``, ``stamp``,
    ``version``) must match the plan, else :class:`PlanChanged` (a 409) and nothing is
    written: what is released is exactly what was confirmed.

    Returns the new :class:`Release`. Raises what :func:`plan_release` raises, and
    :class:`ReleaseBlocked` (the gate found hidden text: the ``release.gate_failed``
    entry is in the session, to be committed by the caller). Audits ``release.create`` and
    ``cable.status``; flushes, never commits.
    """
    plan = plan_release(
        session,
        actor,
        cable,
        case_number=case_number,
        existing_case=existing_case,
        release_date=release_date,
        approvals_required=approvals_required,
        lock=True,
    )
    if expected is not None:
        actual = {
            "doc_number": plan.doc_number,
            "case_number": plan.case_number,
            "stamp": plan.stamp,
            "version": str(plan.version.number),
        }
        changed = [key for key, value in actual.items() if expected.get(key) != value]
        if changed:
            raise PlanChanged(
                "the release would now differ from the confirmation you saw ("
                + ", ".join(k.replace("_", " ") for k in changed)
                + "): look at the confirmation again"
            )
    cable, version, doc = plan.cable, plan.version, plan.document
    case_number, doc_number, release_date = plan.case_number, plan.doc_number, plan.release_date
    approved_rows = list(plan.approved)
    artifacts = plan.artifacts
    findings = gate(plan.published, artifacts, plan.hidden)
    # Approved-hidden text printed elsewhere, not released on purpose (none for a denial:
    # it publishes no cable text). Named by place, never by text.
    findings += [
        GateFinding("cable text", "visible occurrence", conflict.describe())
        for conflict in plan.conflicts
    ]
    if findings:
        audit.record(
            session,
            actor,
            "release.gate_failed",
            subject=("cable", cable.id),
            data={
                "version": version.number,
                "findings": [
                    {"artifact": f.artifact, "check": f.check, "detail": f.detail} for f in findings
                ],
            },
        )
        raise ReleaseBlocked(findings)

    head = audit.chain_head_summary(session)
    released_at = utcnow()
    files = {
        kind: {
            "name": file_name(doc_number, kind),
            "media_type": media_type,
            "sha256": _sha256(artifacts[kind]),
            "size": len(artifacts[kind]),
        }
        for kind, media_type in ARTIFACT_KINDS
    }
    record = {
        "cable": {
            "id": cable.id,
            "reference_id": printed_reference(doc, cable),
            "version": version.number,
        },
        "case_number": case_number,
        "doc_number": doc_number,
        "release_date": release_date.isoformat(),
        "disposition": doc.disposition.value,
        "stamp": doc.stamp,
        "codes": list(doc.codes),
        "pages": plan.pages,
        "published": "notice" if plan.denied else "document",
        "released_by": _user(actor),
        "released_at": _iso(released_at),
        "redactions": _redaction_records(session, approved_rows, doc),
        "files": files,
        "audit_head": head,
    }
    release = Release(
        cable_id=cable.id,
        version_id=version.id,
        case_number=case_number,
        doc_number=doc_number,
        disposition=doc.stamp,
        released_by_id=actor.id,
        released_at=released_at,
        record=record,
        audit_head=head["mac"],
    )
    session.add(release)
    flush(session)
    for kind, media_type in ARTIFACT_KINDS:
        session.add(
            ReleaseArtifact(
                release_id=release.id,
                name=kind,
                media_type=media_type,
                sha256=files[kind]["sha256"],
                size=files[kind]["size"],
                data=artifacts[kind],
            )
        )
    before = CableStatus(cable.status)
    try:
        states.check_cable_transition(before, CableStatus.RELEASED)
    except states.TransitionError as exc:  # pragma: no cover - READY was checked above
        raise IllegalTransition(str(exc)) from exc
    cable.status = CableStatus.RELEASED
    flush(session)
    audit.record(
        session,
        actor,
        "release.create",
        subject=("cable", cable.id),
        data={
            "release_id": release.id,
            "version": version.number,
            "case_number": case_number,
            "doc_number": doc_number,
            "disposition": doc.stamp,
            "redactions": [r["id"] for r in record["redactions"]],
            "files": {kind: files[kind]["sha256"] for kind in files},
            "audit_head": head,
        },
    )
    audit.record(
        session,
        actor,
        "cable.status",
        subject=("cable", cable.id),
        data={"from": before.value, "to": CableStatus.RELEASED.value, "version": version.number},
    )
    return release


def _visible_release(session: Session, actor: User | None, release_id: object) -> Release:
    if type(release_id) is not int:
        raise NotFound("no such release")
    release = session.get(Release, release_id)
    if release is None:
        raise NotFound(f"no release {release_id}")
    if actor is not None:
        cable = session.get(Cable, release.cable_id)
        if cable is None:  # pragma: no cover - held by the foreign key
            raise NotFound(f"no release {release_id}")
        require_visible(actor, cable)
    return release


def get_release(session: Session, actor: User, release_id: int) -> Release:
    """Release ``release_id`` if ``actor`` is cleared for its cable; ``NotFound`` otherwise."""
    return _visible_release(session, actor, release_id)


def get_artifact(
    session: Session, actor: User, release_id: int, name: str
) -> tuple[ReleaseArtifact, str]:
    """File ``name`` (``pdf``, ``txt``, ``json``) of release ``release_id`` and its file name.

    Anyone cleared for the cable may download it. Raises ``NotFound`` for an unknown release
    or file, or a cable above ``actor``'s clearance. Audits ``release.download``; flushes.
    """
    release = _visible_release(session, actor, release_id)
    artifact = session.scalars(
        select(ReleaseArtifact).where(
            ReleaseArtifact.release_id == release.id, ReleaseArtifact.name == name
        )
    ).one_or_none()
    if artifact is None:
        raise NotFound(f"release {release_id} has no file {name!r}")
    audit.record(
        session,
        actor,
        "release.download",
        subject=("cable", release.cable_id),
        data={"release_id": release.id, "doc_number": release.doc_number, "file": name},
    )
    return artifact, file_name(release.doc_number, name)


def latest_releases(session: Session, reference_ids: Sequence[str] = ()) -> list[int]:
    """The id of the newest release of each cable named in ``reference_ids`` (of every
    released cable when empty), in the order given (by reference id when empty).

    Raises ``NotFound`` for a reference id with no release.
    """
    newest = (
        select(Release.cable_id, func.max(Release.id).label("release_id"))
        .group_by(Release.cable_id)
        .subquery()
    )
    query = select(Cable.reference_id, newest.c.release_id).join(
        newest, newest.c.cable_id == Cable.id
    )
    if reference_ids:
        query = query.where(Cable.reference_id.in_(list(reference_ids)))
    found = {ref: rid for ref, rid in session.execute(query.order_by(Cable.reference_id))}
    if not reference_ids:
        return list(found.values())
    missing = [ref for ref in reference_ids if ref not in found]
    if missing:
        raise NotFound(f"no release of {', '.join(missing)}")
    return [found[ref] for ref in dict.fromkeys(reference_ids)]


def _zip_member(archive: zipfile.ZipFile, name: str, data: bytes, *, compress: bool) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.create_system = 3
    info.external_attr = 0o100644 << 16
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    archive.writestr(info, data)


#: Keys of a stored record's ``cable`` part that are a function of the unredacted text
#: (written by earlier versions); never passed on.
LEGACY_HIDDEN_KEYS = frozenset({"version_sha256"})


def manifest_record(record: dict[str, Any], *, names_staff: bool = False) -> dict[str, Any]:
    """A release record as a package's manifest carries it: without the names (and ids) of
    the staff who proposed, approved and released unless ``names_staff``
    (``MANIFEST_NAMES_STAFF``); when and how many approvals stay. A new dict; ``record``
    is left alone."""
    out = dict(record)
    if isinstance(out.get("cable"), dict):
        # Records written before the digest of the version text was dropped still hold it.
        out["cable"] = {k: v for k, v in out["cable"].items() if k not in LEGACY_HIDDEN_KEYS}
    if names_staff:
        return out
    out.pop("released_by", None)
    out["redactions"] = [
        {
            **{key: value for key, value in item.items() if key not in ("proposer", "approvals")},
            "approvals": [
                {key: value for key, value in a.items() if key != "approver"}
                for a in item.get("approvals") or []
            ],
        }
        for item in record.get("redactions") or []
    ]
    return out


def export_package(
    session: Session,
    actor: User | None,
    release_ids: Sequence[int],
    *,
    names_staff: bool = False,
) -> bytes:
    """A ZIP of the given releases: each one's PDF, text and JSON (``C05771875.pdf``...),
    and ``manifest.json`` with the SHA-256 of every file, the release records and the audit
    head. Deterministic: the same releases and audit head give the same bytes (fixed member
    dates and order, canonical JSON).

    The records name no staff unless ``names_staff`` (see :func:`manifest_record`).
    ``actor`` None is the local operator (the CLI). Raises ``NotFound`` for an unknown release
    or one above the actor's clearance, ``NotPermitted`` for an actor who is not a release
    authority, ``RuntimeError`` if a stored file no longer matches its record. A release
    ``DENIED IN FULL`` contributes its record only. Audits ``release.export``; flushes.
    """
    if actor is not None and not can_release(actor.roles):
        raise NotPermitted("only a release authority exports release packages")
    releases = [_visible_release(session, actor, rid) for rid in dict.fromkeys(release_ids)]
    releases.sort(key=lambda r: r.doc_number)
    ids = [r.id for r in releases]
    artifacts: dict[int, list[ReleaseArtifact]] = {rid: [] for rid in ids}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for artifact in session.scalars(
            select(ReleaseArtifact).where(ReleaseArtifact.release_id.in_(chunk))
        ):
            artifacts[artifact.release_id].append(artifact)

    head = audit.chain_head_summary(session)
    members: list[tuple[str, bytes, bool]] = []
    files: dict[str, str] = {}
    records = []
    order = {kind: i for i, (kind, _) in enumerate(ARTIFACT_KINDS)}
    for release in releases:
        denied = release.record.get("disposition") == Disposition.DENIED.value
        recorded = release.record.get("files") or {}
        for artifact in sorted(artifacts[release.id], key=lambda a: order.get(a.name, 99)):
            digest = _sha256(artifact.data)
            expected = (recorded.get(artifact.name) or {}).get("sha256")
            if digest != artifact.sha256 or digest != expected:
                raise RuntimeError(
                    f"file {artifact.name} of release {release.id} does not match its record"
                )
            # A denial's files are its withdrawal notice; those of a denial made before
            # notices existed hold the document, which is not published.
            if denied and release.record.get("published") != "notice" and artifact.name != "json":
                continue
            name = file_name(release.doc_number, artifact.name)
            members.append((name, artifact.data, artifact.name != "pdf"))
            files[name] = digest
        records.append(
            {"release_id": release.id, **manifest_record(release.record, names_staff=names_staff)}
        )
    manifest = {
        "format": PACKAGE_FORMAT,
        "audit_head": head,
        "files": files,
        "releases": records,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, compress in members:
            _zip_member(archive, name, data, compress=compress)
        _zip_member(archive, "manifest.json", writers.write_json(manifest), compress=True)
    package = buffer.getvalue()
    audit.record(
        session,
        actor,
        "release.export",
        subject=("release", ""),
        data={"releases": ids, "sha256": _sha256(package), "audit_head": head},
    )
    return package


def diff_cable(
    session: Session,
    cable: Cable,
    *,
    from_version: int | None = None,
    to_version: int | None = None,
    version: int | None = None,
    approvals_required: int = 1,
) -> tuple[str, int, int, list[diffs.PortionDiff]]:
    """Portion by portion: version ``from_version`` against ``to_version`` when both are
    given (mode ``"versions"``), else ``version`` (default: the current one) against its
    releasable form under the approved redactions (mode ``"released"``).

    Returns ``(mode, left number, right number, portion diffs)``. The caller has checked the
    actor may see ``cable``. Raises ``NotFound`` for a version the cable does not have.
    """

    def portions(of: CableVersion) -> list[tuple[str, int, int]]:
        rows = session.scalars(
            select(Portion).where(Portion.version_id == of.id).order_by(Portion.index)
        )
        return [(p.number or str(p.index), p.start, p.end) for p in rows]

    if from_version is not None and to_version is not None:
        old = version_of(session, cable, from_version)
        new = version_of(session, cable, to_version)
        result = diffs.diff_versions(old.text, portions(old), new.text, portions(new))
        return "versions", old.number, new.number, list(result)
    current = version_of(session, cable, version)
    spans = approved_spans(session, cable, current, approvals_required=approvals_required)
    result = diffs.diff_released(
        current.text, [(s.start, s.end, codes) for s, codes in spans], portions(current)
    )
    return "released", current.number, current.number, list(result)

"""Attachments on needs: who may attach and remove files, and which files are accepted.

Who may attach (`may_add`), always as a person and only while the need is not closed (a final state):
- anyone the workflow lets edit the need in its current state (`workflow.may_edit`): with the default
  routings the submitter while the need is a draft or returned to them, and the sector lead while the sector
  group has it; a substitute acting for them by delegation likewise;
- while the sector group works on the need (its current state is edited by the sector lead or a sector
  representative): the sector lead and the sector representatives of the need's service area, and the
  people who co-signed it (each for their municipality).
Nobody else attaches: not the portfolio council, the board or the collaboration's administrators (they read
and comment).

Who may remove (`may_remove`): the person who uploaded a file while they may still attach to the need,
anyone the workflow lets edit the need now, and, at any time, the collaboration's administrators and IT
operators (to take down a file that should not be there, e.g. personal data attached by mistake).

Which files (`check_file`): the file's extension must be in the allow-list (setting
`IKT_ATTACHMENT_TYPES`, limited to the types below, which can be verified by content) AND its content must
be of that type (magic bytes, with the `filetype` package; Office and OpenDocument files by their zip
entries; text files must be text). Refused always: web pages (HTML, XHTML), SVG images, programs and
scripts, whatever their name; Office/OpenDocument files with macros; empty files and files above
`IKT_ATTACHMENT_MAX_BYTES`; more than `IKT_ATTACHMENT_MAX_PER_NEED` files on one need. The name given by the
uploader is kept (cleaned) for display and download only; on disk the file gets a random name in private
storage (`needs.storage`). The content type stored is the detected one.

Refusals raise a translated ValidationError (on "file" for the file itself) or `AttachmentRefused` (403, not
allowed) before anything is written: no row, no history and no file on disk. Adding and removing are audited
(simple_history rows with the capacity acted in).
"""

import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ikt_portfolio.core.audit import acting_as
from ikt_portfolio.core.errors import DomainError
from ikt_portfolio.members.capacities import Capacity
from ikt_portfolio.members.permissions import admin_collaboration_ids, is_operator, person_of
from ikt_portfolio.workflow import services as workflow

from .models import Attachment, CoSign, Need

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_PER_NEED = 20
DEFAULT_TYPES = ("pdf", "png", "jpg", "jpeg", "docx", "xlsx", "pptx", "odt", "ods", "odp", "txt", "csv")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
TEXT = "text/plain"
HTML = "text/html"
SVG = "image/svg+xml"
SCRIPT = "text/x-script"
ZIP = "application/zip"
MACRO_DOCUMENT = "application/x-macro-document"  # an Office or OpenDocument file with macros
OCTET_STREAM = "application/octet-stream"

# Extension → the content type its content must have. Only these can be allowed: each can be verified.
KNOWN_TYPES: dict[str, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "docx": DOCX,
    "xlsx": XLSX,
    "pptx": PPTX,
    "odt": ODT,
    "ods": ODS,
    "odp": ODP,
    "txt": TEXT,
    "csv": TEXT,
}
# What is stored (and served) for a text file: its own type by extension.
TEXT_TYPES = {"txt": "text/plain", "csv": "text/csv"}

# Content that may act in a browser or run on a computer: refused whatever the file is called.
DANGEROUS = {
    HTML,
    SVG,
    SCRIPT,
    "application/x-msdownload",
    "application/x-executable",
    "application/x-shockwave-flash",
    "application/x-google-chrome-extension",
    "application/wasm",
    "application/x-deb",
    "application/x-rpm",
}

OOXML_MAIN_PART = {"word/document.xml": DOCX, "xl/workbook.xml": XLSX, "ppt/presentation.xml": PPTX}
ODF_TYPES = {ODT, ODS, ODP}
SNIFF_BYTES = 8192

# The start of an HTML or XML document (after white space), as browsers sniff it, and markup anywhere near
# the start that a browser would run.
MARKUP_START = re.compile(
    rb"^\s*(<!doctype\s+html|<html|<head|<script|<iframe|<h1|<div|<font|<table|<a[\s>]|<style|<title|<b[\s>]"
    rb"|<body|<br|<p[\s>]|<!--|<\?xml|<svg|<xhtml|<object|<embed|<meta|<link|<img)",
    re.IGNORECASE,
)
MARKUP_ANYWHERE = re.compile(rb"<(script|html|svg|iframe|object|embed)[\s>/]", re.IGNORECASE)
TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class AttachmentRefused(DomainError):
    """The user may not attach to or remove from this need (now)."""

    status_code = 403


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_per_need: int
    types: tuple[str, ...]

    @property
    def accept(self) -> str:
        """For the file input's accept attribute: ".pdf,.png,…"."""
        return ",".join(f".{extension}" for extension in self.types)

    @property
    def types_label(self) -> str:
        return ", ".join(extension.upper() for extension in self.types)

    @property
    def max_size_label(self) -> str:
        return filesizeformat(self.max_bytes)


def limits() -> Limits:
    """The limits in force (settings, with the defaults above); types the package cannot verify are left out."""
    configured = getattr(settings, "IKT_ATTACHMENT_TYPES", None) or DEFAULT_TYPES
    types = tuple(dict.fromkeys(t.strip().lower().lstrip(".") for t in configured if t.strip()))
    return Limits(
        max_bytes=int(getattr(settings, "IKT_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)),
        max_per_need=int(getattr(settings, "IKT_ATTACHMENT_MAX_PER_NEED", DEFAULT_MAX_PER_NEED)),
        types=tuple(t for t in types if t in KNOWN_TYPES),
    )


# ------------------------------------------------------------------------------------------------ who


def _closed(need: Need) -> bool:
    try:
        return workflow.current_state(need).is_final
    except workflow.WorkflowError:
        return True


def _sector_group_has_it(need: Need) -> bool:
    state = workflow.current_state(need)
    return bool({Capacity.SECTOR_LEAD, Capacity.SECTOR_REPRESENTATIVE} & set(state.edit_capacities))


def _adding_capacity(user, need: Need) -> str | None:
    """The capacity `user` attaches to `need` in, or None when they may not (see the module's docstring)."""
    person = person_of(user)
    if person is None or _closed(need):
        return None
    state = workflow.current_state(need)
    if state.edit_capacities:
        standing = workflow.standings(user, need, state.edit_capacities)
        if standing:
            return standing[0].capacity
    if _sector_group_has_it(need):
        standing = workflow.standings(user, need, [Capacity.SECTOR_LEAD, Capacity.SECTOR_REPRESENTATIVE])
        if standing:
            return standing[0].capacity
        if CoSign.objects.filter(need=need, person=person).exists():
            return Capacity.SUBMITTER
    return None


def may_add(user, need: Need) -> bool:
    """May `user` attach a file to `need` now? (Visibility of the need is the caller's check: views only
    reach needs the user may see.)"""
    return _adding_capacity(user, need) is not None


def _removing_any_capacity(user, need: Need) -> str | None:
    """The capacity in which `user` may remove any attachment of `need`, or None."""
    if is_operator(user):
        return "operator"
    if need.collaboration_id in admin_collaboration_ids(user):
        return Capacity.COLLABORATION_ADMIN
    if _closed(need):
        return None
    state = workflow.current_state(need)
    if state.edit_capacities:
        standing = workflow.standings(user, need, state.edit_capacities)
        if standing:
            return standing[0].capacity
    return None


def _removing_capacity(user, attachment: Attachment) -> str | None:
    need = attachment.need
    capacity = _removing_any_capacity(user, need)
    if capacity is not None:
        return capacity
    person = person_of(user)
    if person is not None and attachment.uploaded_by_id == person.pk:
        return _adding_capacity(user, need)
    return None


def may_remove(user, attachment: Attachment) -> bool:
    return _removing_capacity(user, attachment) is not None


def removable_ids(user, need: Need, attachments) -> set[int]:
    """Which of `need`'s `attachments` `user` may remove: the same rule as `may_remove`, decided once for the
    page (a bounded number of queries however many files there are)."""
    if _removing_any_capacity(user, need) is not None:
        return {attachment.pk for attachment in attachments}
    person = person_of(user)
    if person is None or not may_add(user, need):
        return set()
    return {attachment.pk for attachment in attachments if attachment.uploaded_by_id == person.pk}


# ------------------------------------------------------------------------------------------- the file


def clean_name(name: str, extension: str) -> str:
    """The uploader's file name, safe to show and to offer for download: no path, no control or reserved
    characters, at most 200 characters, ending in its extension."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(" " if unicodedata.category(ch)[0] in "CZ" else ch for ch in name)
    name = re.sub(r'[<>:"|?*;]', "", name)
    name = re.sub(r"\s+", " ", name).strip()
    if name.lower().endswith(f".{extension}"):
        stem, extension = name[: -(len(extension) + 1)], name[-len(extension) :]
    else:
        stem = name
    stem = stem.strip(" .")[:200] or _("attachment")
    return f"{stem}.{extension}"


def _extension(name: str) -> str:
    return os.path.splitext(str(name or ""))[1].lower().lstrip(".")


def _read_head(uploaded_file) -> bytes:
    uploaded_file.seek(0)
    head = uploaded_file.read(SNIFF_BYTES)
    uploaded_file.seek(0)
    return head


def _zip_kind(uploaded_file) -> str:
    """An Office (OOXML) or OpenDocument file by its entries; MACRO_DOCUMENT when it holds macros, ZIP for
    any other zip, OCTET_STREAM for a damaged one."""
    uploaded_file.seek(0)
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            names = archive.namelist()
            if any(n.lower().endswith("vbaproject.bin") or n.startswith(("Basic/", "Scripts/")) for n in names):
                return MACRO_DOCUMENT
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                return declared if declared in ODF_TYPES else ZIP
            if "[Content_Types].xml" in names:
                kinds = {kind for part, kind in OOXML_MAIN_PART.items() if part in names}
                return kinds.pop() if len(kinds) == 1 else ZIP
            return ZIP
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError, EOFError, ValueError):
        return OCTET_STREAM
    finally:
        uploaded_file.seek(0)


def _text_kind(uploaded_file) -> str:
    """TEXT for plain text (UTF-8, UTF-16 with BOM or Windows-1252), HTML/SVG/SCRIPT for markup or a
    script, OCTET_STREAM for anything else."""
    uploaded_file.seek(0)
    data = b"".join(uploaded_file.chunks()) if hasattr(uploaded_file, "chunks") else uploaded_file.read()
    uploaded_file.seek(0)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return OCTET_STREAM
    text = None
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or TEXT_CONTROL.search(text):
        return OCTET_STREAM
    head = data[:SNIFF_BYTES].removeprefix(b"\xef\xbb\xbf")
    if head.lstrip().startswith(b"#!"):
        return SCRIPT
    if MARKUP_START.match(head) or MARKUP_ANYWHERE.search(head):
        return SVG if b"<svg" in head.lower() else HTML
    return TEXT


def detect_type(uploaded_file) -> str:
    """The content type of the file's content (not of its name)."""
    head = _read_head(uploaded_file)
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(uploaded_file)
    kind = filetype.guess(head)
    if kind is not None:
        return kind.mime
    return _text_kind(uploaded_file)


def _refused(message: str, code: str) -> ValidationError:
    """A refusal of the file, on the "file" field, with a code tests and clients can tell apart."""
    return ValidationError({"file": ValidationError(message, code=code)})


def check_file(uploaded_file, limits_: Limits | None = None) -> tuple[str, str, str]:
    """(extension, detected content type, clean name) of an acceptable file; ValidationError on "file"
    naming what is wrong otherwise."""
    rules = limits_ or limits()
    if uploaded_file is None or not getattr(uploaded_file, "name", ""):
        raise _refused(_("Choose a file to attach."), "required")
    size = uploaded_file.size
    if not size:
        raise _refused(_("The file is empty."), "empty")
    if size > rules.max_bytes:
        raise _refused(
            _("The file is too large (%(size)s). The limit is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(rules.max_bytes)},
            "too_large",
        )
    extension = _extension(uploaded_file.name)
    detected = detect_type(uploaded_file)
    if detected in DANGEROUS:
        raise _refused(_("Web pages, SVG images, programs and scripts cannot be attached."), "dangerous")
    if extension not in rules.types:
        raise _refused(
            _("Files of type “%(type)s” cannot be attached. Allowed types: %(types)s.")
            % {"type": extension.upper() or _("(none)"), "types": rules.types_label},
            "type",
        )
    if detected == MACRO_DOCUMENT:
        raise _refused(_("Documents with macros cannot be attached. Save it without macros and try again."), "macros")
    if detected != KNOWN_TYPES[extension]:
        raise _refused(
            _(
                "The file's content does not match its name (.%(type)s). Save it in the format its name "
                "says and try again."
            )
            % {"type": extension},
            "mismatch",
        )
    content_type = TEXT_TYPES.get(extension, detected)
    return extension, content_type, clean_name(uploaded_file.name, extension)


# ------------------------------------------------------------------------------------------- services


def add_attachment(need: Need, user, uploaded_file) -> Attachment:
    """Attach `uploaded_file` to `need` as `user`. Checks who (see the module's docstring), the file and the
    number of files, then writes the file and its row in one step; a refusal or failure leaves nothing."""
    if _adding_capacity(user, need) is None:
        raise AttachmentRefused(_("You may not add attachments to this need now."))
    rules = limits()
    extension, content_type, name = check_file(uploaded_file, rules)
    person = person_of(user)
    stored = None
    try:
        with transaction.atomic():
            need = Need.objects.select_for_update().select_related("workflow_version").get(pk=need.pk)
            capacity = _adding_capacity(user, need)  # again, on the need as it is now
            if capacity is None:
                raise AttachmentRefused(_("You may not add attachments to this need now."))
            if Attachment.objects.filter(need=need).count() >= rules.max_per_need:
                raise _refused(
                    ngettext(
                        "A need can have at most %(count)d attachment.",
                        "A need can have at most %(count)d attachments.",
                        rules.max_per_need,
                    )
                    % {"count": rules.max_per_need},
                    "too_many",
                )
            attachment = Attachment(
                need=need, original_name=name, content_type=content_type, size=uploaded_file.size, uploaded_by=person
            )
            uploaded_file.seek(0)
            attachment.file.save(f"{uuid.uuid4().hex}.{extension}", uploaded_file, save=False)
            stored = attachment.file.name
            with acting_as(capacity):
                attachment.save()
    except BaseException:
        if stored:
            Attachment.file.field.storage.delete(stored)
        raise
    return attachment


def remove_attachment(attachment: Attachment, user) -> None:
    """Remove an attachment (see the module's docstring for who may); the file is deleted from disk once the
    removal is committed, the history keeps who removed it and when."""
    capacity = _removing_capacity(user, attachment)
    if capacity is None:
        raise AttachmentRefused(_("You may not remove this attachment."))
    storage, name = attachment.file.storage, attachment.file.name
    with transaction.atomic(), acting_as(capacity):
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(name))


def download_response(attachment: Attachment) -> FileResponse:
    """The file as a download, never shown inline: its detected content type (or octet-stream), a sandboxing
    Content Security Policy and no content sniffing, so even a file that slipped through cannot run as a
    page. Http404 when the file is gone from storage."""
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError) as error:
        raise Http404(_("The file is no longer there.")) from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type or OCTET_STREAM,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def attachments_of(need: Need):
    """A need's attachments, oldest first, with the uploader loaded (one query)."""
    return Attachment.objects.filter(need=need).select_related("uploaded_by__user").order_by("uploaded_at", "pk")

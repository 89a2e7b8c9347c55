"""Attachments on needs (needs.attachments): which files are accepted (by extension AND content), the size and
count limits, who may attach and remove in which state, that a refusal writes nothing (no row, no history, no
file on disk) and that adding and removing are audited. Real files in temporary directories, no mocks."""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from ikt_portfolio.needs import attachments, services
from ikt_portfolio.needs.models import Attachment
from ikt_portfolio.workflow import services as workflow

pytestmark = pytest.mark.django_db

HistoricalAttachment = Attachment.history.model


# ------------------------------------------------------------------------------------------ real files


def png_bytes() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200
SCRIPT = b"#!/bin/sh\nrm -rf /\n"


def zip_bytes(entries: dict[str, bytes], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, (name, data) in enumerate(entries.items()):
            kind = zipfile.ZIP_STORED if stored_first and index == 0 else zipfile.ZIP_DEFLATED
            archive.writestr(name, data, compress_type=kind)
    return buffer.getvalue()


def docx_bytes(**extra: bytes) -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
            "_rels/.rels": b'<?xml version="1.0"?><Relationships/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document/>',
            **extra,
        }
    )


def odt_bytes() -> bytes:
    return zip_bytes(
        {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"},
        stored_first=True,
    )


def xlsx_bytes(tmp_path: Path) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Kommune"
    workbook.active["A2"] = "Smøla"
    path = tmp_path / "made.xlsx"
    workbook.save(path)
    return path.read_bytes()


@pytest.fixture(autouse=True)
def storage_root(settings, tmp_path) -> Path:
    """Attachments are stored under a temporary directory in every test."""
    root = tmp_path / "private"
    settings.IKT_ATTACHMENT_ROOT = root
    settings.IKT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    settings.IKT_ATTACHMENT_MAX_PER_NEED = 20
    translation.activate("en")
    return root


@pytest.fixture
def upload(tmp_path):
    """A real file written to a temporary directory and opened as the upload (closed after the test)."""
    handles = []
    folder = tmp_path / "uploads"
    folder.mkdir()

    def make(name: str, data: bytes) -> File:
        path = folder / f"{len(handles)}-upload"
        path.write_bytes(data)
        handle = path.open("rb")
        handles.append(handle)
        return File(handle, name=name)

    yield make
    for handle in handles:
        handle.close()


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def submitted(report, **fields):
    need = report(**fields)
    workflow.perform(need, "submit", need.submitted_by.user)
    return need


def in_sector_group(report, world):
    need = submitted(report)
    workflow.perform(need, "take_up", world.lead.user)
    return need


def fresh(person_or_user):
    """A new user object (grants are cached per user object, as per request in production)."""
    user = getattr(person_or_user, "user", person_or_user)
    return type(user).objects.get(pk=user.pk)


def refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


# ------------------------------------------------------------------------------------------ accepted


@pytest.mark.parametrize(
    "name, make, content_type",
    [
        ("Rapport.pdf", lambda tmp: PDF, "application/pdf"),
        ("skjerm.png", lambda tmp: png_bytes(), "image/png"),
        ("bilde.JPG", lambda tmp: JPEG, "image/jpeg"),
        ("bilde.jpeg", lambda tmp: JPEG, "image/jpeg"),
        ("notat.docx", lambda tmp: docx_bytes(), attachments.DOCX),
        ("tall.xlsx", xlsx_bytes, attachments.XLSX),
        ("notat.odt", lambda tmp: odt_bytes(), attachments.ODT),
        ("les meg.txt", lambda tmp: "Nattevakt på Smøla\r\n".encode(), "text/plain"),
        ("innbyggere.csv", lambda tmp: "kommune;innbyggere\nSmøla;2150\n".encode("cp1252"), "text/csv"),
        ("utf16.txt", lambda tmp: "Hei på deg\n".encode("utf-16"), "text/plain"),
    ],
)
def test_allowed_types_are_stored_privately_with_the_detected_type(
    world, report, upload, storage_root, tmp_path, name, make, content_type
):
    need = report()
    data = make(tmp_path)
    attachment = attachments.add_attachment(need, world.member_small.user, upload(name, data))
    attachment.refresh_from_db()
    assert attachment.content_type == content_type
    assert attachment.size == len(data)
    assert attachment.original_name == name
    assert attachment.uploaded_by == world.member_small
    on_disk = storage_root / attachment.file.name
    assert on_disk.read_bytes() == data
    assert on_disk.parent == storage_root / "needs" / str(need.pk)
    assert name.rsplit(".", 1)[0] not in on_disk.name  # a random name on disk, never the uploader's


def test_the_stored_name_is_cleaned_and_the_path_ignored(world, report, upload, storage_root):
    need = report()
    attachment = attachments.add_attachment(
        need, world.member_small.user, upload('..\\../../etc/pass"wd<script>\x07 .pdf', PDF)
    )
    assert attachment.original_name == "passwdscript.pdf"
    assert Path(attachment.file.path).resolve().is_relative_to(storage_root.resolve())
    assert attachments.clean_name("   .pdf", "pdf") == "attachment.pdf"
    assert attachments.clean_name("x" * 300 + ".PDF", "pdf") == "x" * 200 + ".PDF"


def test_storage_has_no_public_url(world, report, upload):
    attachment = attachments.add_attachment(report(), world.member_small.user, upload("a.pdf", PDF))
    with pytest.raises(NotImplementedError):
        attachment.file.url  # noqa: B018


# ------------------------------------------------------------------------------------------ refused files


@pytest.mark.parametrize(
    "name, data, code",
    [
        ("side.html", HTML, "dangerous"),
        ("side.txt", HTML, "dangerous"),  # a web page called text
        ("rapport.pdf", HTML, "dangerous"),  # a web page called PDF
        ("logo.svg", SVG, "dangerous"),
        ("logo.png", SVG, "dangerous"),
        ("program.exe", EXE, "dangerous"),
        ("rapport.pdf", EXE, "dangerous"),  # a program called PDF
        ("notat.txt", ELF, "dangerous"),
        ("notat.txt", SCRIPT, "dangerous"),
        ("arkiv.zip", zip_bytes({"a.txt": b"hei"}), "type"),
        ("rapport.pdf.exe", PDF, "type"),
        ("uten-endelse", PDF, "type"),
        ("rapport.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "type"),
        ("bilde.jpg", png_bytes(), "mismatch"),  # a PNG called JPEG
        ("rapport.pdf", png_bytes(), "mismatch"),
        ("notat.docx", zip_bytes({"a.txt": b"hei"}), "mismatch"),  # any zip called a Word file
        ("notat.docx", PDF, "mismatch"),
        ("tall.csv", PDF, "mismatch"),
        ("tall.csv", b"\x00\x01\x02binary", "mismatch"),
        ("notat.docx", b"PK\x03\x04 not really a zip", "mismatch"),
        ("makro.docx", docx_bytes(**{"word/vbaProject.bin": b"\x00macro"}), "macros"),
    ],
)
def test_forbidden_and_mismatched_files_are_refused_and_nothing_is_written(
    world, report, upload, storage_root, name, data, code
):
    need = report()
    with pytest.raises(ValidationError) as refused:
        attachments.add_attachment(need, world.member_small.user, upload(name, data))
    assert refused.value.error_dict["file"][0].code == code
    assert refusal(refused.value)
    assert not Attachment.objects.exists() and not HistoricalAttachment.objects.exists()
    assert stored_files(storage_root) == []


def test_the_messages_name_the_problem(world, report, upload, settings):
    need = report()
    user = world.member_small.user
    with pytest.raises(ValidationError) as refused:
        attachments.add_attachment(need, user, upload("program.bat", b"@echo off\n"))
    assert "“BAT” cannot be attached" in refusal(refused.value) and "PDF, PNG" in refusal(refused.value)
    with pytest.raises(ValidationError) as refused:
        attachments.add_attachment(need, user, upload("bilde.jpg", png_bytes()))
    assert "does not match its name (.jpg)" in refusal(refused.value)


def test_empty_and_oversized_files_are_refused(world, report, upload, settings, storage_root):
    need = report()
    settings.IKT_ATTACHMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as refused:
        attachments.add_attachment(need, world.member_small.user, upload("tom.pdf", b""))
    assert refused.value.error_dict["file"][0].code == "empty"
    with pytest.raises(ValidationError) as refused:
        attachments.add_attachment(need, world.member_small.user, upload("stor.pdf", PDF + b"x" * 1000))
    assert refused.value.error_dict["file"][0].code == "too_large"
    assert "1000\xa0bytes" in refusal(refused.value)
    attachments.add_attachment(need, world.member_small.user, upload("akkurat.pdf", PDF.ljust(1000, b" ")))
    assert Attachment.objects.count() == 1 and len(stored_files(storage_root)) == 1


def test_the_size_is_given_in_norwegian_in_norwegian(world, report, upload, settings):
    settings.IKT_ATTACHMENT_MAX_BYTES = int(1.5 * 1024 * 1024)
    translation.activate("nb")
    with pytest.raises(ValidationError) as refused:
        attachments.add_attachment(report(), world.member_small.user, upload("stor.pdf", PDF.ljust(2 * 1024 * 1024)))
    assert "1,5\xa0MB" in refusal(refused.value) and "2,0\xa0MB" in refusal(refused.value)


def test_the_number_of_files_per_need_is_limited(world, report, upload, settings, storage_root):
    settings.IKT_ATTACHMENT_MAX_PER_NEED = 2
    need = report()
    for index in range(2):
        attachments.add_attachment(need, world.member_small.user, upload(f"{index}.pdf", PDF))
    with pytest.raises(ValidationError) as refused:
        attachments.add_attachment(need, world.member_small.user, upload("tredje.pdf", PDF))
    assert refused.value.error_dict["file"][0].code == "too_many"
    assert "at most 2 attachments" in refusal(refused.value)
    assert Attachment.objects.count() == 2 and len(stored_files(storage_root)) == 2
    assert HistoricalAttachment.objects.count() == 2


def test_the_allow_list_is_a_setting_limited_to_types_that_can_be_verified(world, report, upload, settings):
    settings.IKT_ATTACHMENT_TYPES = ["pdf", "html", "exe"]
    assert attachments.limits().types == ("pdf",)
    with pytest.raises(ValidationError):
        attachments.add_attachment(report(), world.member_small.user, upload("notat.txt", b"hei"))


# ------------------------------------------------------------------------------------------ who may


def test_the_submitter_attaches_while_the_need_is_theirs_to_edit(world, report, upload):
    need = report()
    assert attachments.may_add(fresh(world.member_small), need)  # draft
    workflow.perform(need, "submit", world.member_small.user)
    assert not attachments.may_add(fresh(world.member_small), need)  # submitted: waits for the sector group
    with pytest.raises(attachments.AttachmentRefused):
        attachments.add_attachment(need, fresh(world.member_small), upload("a.pdf", PDF))
    workflow.perform(need, "return", world.lead.user, comment="Hvor mange brukere gjelder det?")
    assert attachments.may_add(fresh(world.member_small), need)  # returned to them
    attachments.add_attachment(need, fresh(world.member_small), upload("svar.pdf", PDF))


def test_the_sector_group_and_co_signers_attach_while_the_sector_group_has_it(world, report, upload, make_person, seat):
    need = submitted(report)
    co_signer = make_person("sunndal", municipality=world.medium)
    services.co_sign(need, user=co_signer.user)
    representative = make_person("rep", municipality=world.large)
    seat(representative, world.sector_a)
    for person in (co_signer, representative, world.lead):
        assert not attachments.may_add(fresh(person), need)  # not yet taken up
    workflow.perform(need, "take_up", world.lead.user)
    for person in (co_signer, representative, world.lead):
        assert attachments.may_add(fresh(person), need)
        attachments.add_attachment(need, fresh(person), upload(f"{person.user.username}.pdf", PDF))
    assert not attachments.may_add(fresh(world.member_small), need)  # the submitter: not editable for them now
    uploaded = dict(HistoricalAttachment.objects.values_list("original_name", "history_capacity"))
    assert uploaded == {"sunndal.pdf": "submitter", "rep.pdf": "sector_representative", "lead.pdf": "sector_lead"}


def test_others_may_not_attach(world, report, upload, make_person):
    need = in_sector_group(report, world)
    colleague = make_person("kollega", municipality=world.small)  # same municipality, did not report it
    for user in (
        world.council_member.user,
        world.admin_a.user,
        world.member_other.user,
        world.outsider,
        world.operator,
        colleague.user,
    ):
        assert not attachments.may_add(fresh(user), need)
        with pytest.raises(attachments.AttachmentRefused):
            attachments.add_attachment(need, fresh(user), upload("a.pdf", PDF))
    assert not Attachment.objects.exists()


def test_nobody_attaches_to_a_closed_need(world, report, upload):
    need = in_sector_group(report, world)
    workflow.perform(need, "reject", world.lead.user, comment="Løses i drift.")
    for person in (world.lead, world.member_small):
        assert not attachments.may_add(fresh(person), need)


def test_a_refusal_is_decided_before_the_file_is_looked_at(world, report, upload):
    need = submitted(report)
    with pytest.raises(attachments.AttachmentRefused) as refused:
        attachments.add_attachment(need, fresh(world.council_member), upload("side.html", HTML))
    assert refused.value.status_code == 403
    assert "may not add attachments" in refused.value.message


# ------------------------------------------------------------------------------------------ removing


def test_removing_is_audited_and_deletes_the_file_once_committed(
    world, report, upload, storage_root, django_capture_on_commit_callbacks
):
    need = report()
    attachment = attachments.add_attachment(need, world.member_small.user, upload("a.pdf", PDF))
    path = storage_root / attachment.file.name
    with django_capture_on_commit_callbacks(execute=True):
        attachments.remove_attachment(attachment, fresh(world.member_small))
    assert not Attachment.objects.exists() and not path.exists()
    rows = list(HistoricalAttachment.objects.order_by("history_id").values_list("history_type", "history_capacity"))
    assert rows == [("+", "submitter"), ("-", "submitter")]


def test_who_may_remove(world, report, upload, make_person):
    need = report()
    own = attachments.add_attachment(need, world.member_small.user, upload("eget.pdf", PDF))
    workflow.perform(need, "submit", world.member_small.user)
    own = Attachment.objects.get(pk=own.pk)  # as a request reads it: with the need as it is now
    # Submitted: the uploader may no longer change the need, so not remove either; others never could.
    for user in (world.member_small.user, world.council_member.user, world.member_other.user, world.lead.user):
        assert not attachments.may_remove(fresh(user), own)
        with pytest.raises(attachments.AttachmentRefused):
            attachments.remove_attachment(own, fresh(user))
    # The collaboration's administrators and operators may take a file down at any time.
    assert attachments.may_remove(fresh(world.admin_a), own)
    assert attachments.may_remove(fresh(world.operator), own)
    assert not attachments.may_remove(fresh(world.admin_b), own)
    # While the sector group has it, the sector lead (who edits the need) removes any file.
    workflow.perform(need, "take_up", world.lead.user)
    co_signer = make_person("sunndal", municipality=world.medium)
    services.co_sign(need, user=co_signer.user)
    theirs = attachments.add_attachment(need, fresh(co_signer), upload("deres.pdf", PDF))
    own = Attachment.objects.get(pk=own.pk)
    assert attachments.may_remove(fresh(co_signer), theirs) and not attachments.may_remove(fresh(co_signer), own)
    assert attachments.removable_ids(fresh(co_signer), need, [own, theirs]) == {theirs.pk}
    assert attachments.removable_ids(fresh(world.lead), need, [own, theirs]) == {own.pk, theirs.pk}
    attachments.remove_attachment(own, fresh(world.lead))
    assert list(Attachment.objects.values_list("original_name", flat=True)) == ["deres.pdf"]
    assert HistoricalAttachment.objects.filter(history_type="-").get().history_capacity == "sector_lead"


# ------------------------------------------------------------------------------------------ the Desk


def test_the_desk_lists_attachments_read_only_with_portal_download_links(client, world, report, upload):
    need = report()
    url = reverse("admin:ikt_needs_need_change", args=[need.pk])

    def page():
        client.force_login(fresh(world.admin_a))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        return len(queries), response.content.decode()

    first = attachments.add_attachment(need, world.member_small.user, upload("Første.pdf", PDF))
    workflow.perform(need, "submit", world.member_small.user)
    workflow.perform(need, "return", world.lead.user, comment="Legg ved mer.")  # the submitter may attach again
    page()
    few, content = page()
    download = reverse("ikt_portal:attachment", args=[need.pk, first.pk])
    assert f'href="{download}"' in content and "Første.pdf" in content
    assert 'name="attachments-0-file"' not in content and "attachments-TOTAL_FORMS" in content
    for index in range(6):
        attachments.add_attachment(need, fresh(world.member_small), upload(f"{index}.pdf", PDF))
    many, content = page()
    assert many == few and "5.pdf" in content

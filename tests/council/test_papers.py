"""Meeting papers: added by those who run the meeting, checked like attachments on needs, stored privately,
downloaded only by those who see the meeting's details, through the portal, the API and the Desk link."""

from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ikt_portfolio.council import services
from ikt_portfolio.council.models import Paper
from tests.needs.test_api import as_

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
MEETINGS = "/api/v1/meetings/"


@pytest.fixture(autouse=True)
def storage_root(settings, tmp_path) -> Path:
    root = tmp_path / "private"
    settings.IKT_ATTACHMENT_ROOT = root
    return root


def pdf(name="saksframlegg.pdf", data=PDF):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def test_the_chair_adds_papers_for_the_meeting_and_its_items(council, schedule, storage_root):
    meeting = schedule()
    item = services.add_manual_item(meeting, council.chair.user, title="Budsjett")
    whole = services.add_paper(meeting, council.secretary.user, pdf("innkalling.pdf"))
    for_item = services.add_paper(meeting, council.chair.user, pdf("budsjett.pdf"), item=item)
    assert (whole.original_name, whole.agenda_item, whole.content_type) == ("innkalling.pdf", None, "application/pdf")
    assert for_item.agenda_item == item and for_item.uploaded_by == council.chair
    assert len(stored_files(storage_root)) == 2
    assert all("meetings" in str(path) and "budsjett" not in path.name for path in stored_files(storage_root))
    assert for_item.history.first().history_capacity == "council_member"
    services.remove_paper(for_item, council.chair.user)
    assert list(Paper.objects.values_list("original_name", flat=True)) == ["innkalling.pdf"]


@pytest.mark.parametrize(
    ("who", "upload", "error"),
    [
        ("member", pdf(), services.MeetingRefused),
        ("admin_b", pdf(), services.MeetingRefused),
        ("chair", pdf("side.html", b"<html><script>alert(1)</script></html>"), ValidationError),
        ("chair", pdf("tom.pdf", b""), ValidationError),
        ("chair", pdf("feil.pdf", b"just text, not a pdf"), ValidationError),
    ],
)
def test_bad_papers_are_refused_and_nothing_is_written(council, schedule, storage_root, who, upload, error):
    meeting = schedule()
    user = {"member": council.member, "admin_b": council.world.admin_b, "chair": council.chair}[who].user
    with pytest.raises(error):
        services.add_paper(meeting, user, upload)
    assert not Paper.objects.exists() and stored_files(storage_root) == []


def test_an_item_of_another_meeting_is_refused(council, schedule):
    first, second = schedule(), schedule(days=9)
    item = services.add_manual_item(second, council.chair.user, title="Annen sak")
    with pytest.raises(ValidationError):
        services.add_paper(first, council.chair.user, pdf(), item=item)
    assert not Paper.objects.exists()


def test_portal_papers_for_members_only(client, council, schedule):
    meeting = schedule()
    paper = services.add_paper(meeting, council.chair.user, pdf())
    page_url = reverse("ikt_portal:meeting", args=[meeting.pk])
    download = reverse("ikt_portal:meeting_paper", args=[meeting.pk, paper.pk])
    client.force_login(council.member.user)
    page = client.get(page_url).content.decode()
    assert download in page and 'id="paper-form"' not in page
    response = client.get(download)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(council.world.member_small.user)  # sees the council's meeting, not its papers
    assert download not in client.get(page_url).content.decode()
    assert client.get(download).status_code == 404
    client.force_login(council.member_b.user)
    assert client.get(download).status_code == 404


def test_portal_upload_and_removal_by_the_secretary(client, council, schedule, storage_root):
    meeting = schedule()
    item = services.add_manual_item(meeting, council.chair.user, title="Budsjett")
    client.force_login(council.secretary.user)
    page = client.get(reverse("ikt_portal:meeting", args=[meeting.pk])).content.decode()
    assert 'id="paper-form"' in page
    response = client.post(
        reverse("ikt_portal:meeting_add_paper", args=[meeting.pk]),
        {"paper-file": pdf(), "paper-agenda_item": str(item.pk)},
    )
    assert response.status_code == 302
    paper = Paper.objects.get()
    assert paper.agenda_item == item
    client.force_login(council.member.user)
    client.post(reverse("ikt_portal:meeting_remove_paper", args=[meeting.pk, paper.pk]))
    assert Paper.objects.exists()  # a member may not remove
    client.post(reverse("ikt_portal:meeting_add_paper", args=[meeting.pk]), {"paper-file": pdf("x.pdf")})
    assert Paper.objects.count() == 1  # nor add
    client.force_login(council.secretary.user)
    client.post(reverse("ikt_portal:meeting_remove_paper", args=[meeting.pk, paper.pk]))
    assert not Paper.objects.exists()


def test_api_papers(council, schedule):
    meeting = schedule()
    url = f"{MEETINGS}{meeting.pk}/papers/"
    refused = as_(council.member).client
    refused.force_authenticate(council.member.user)
    assert refused.post(url, {"file": pdf()}, format="multipart").status_code == 403
    chair = as_(council.chair).client
    chair.force_authenticate(council.chair.user)
    created = chair.post(url, {"file": pdf()}, format="multipart")
    assert created.status_code == 201, created.content
    paper_url = created.json()["download"]
    assert as_(council.member).get(f"{MEETINGS}{meeting.pk}/").json()["papers"][0]["name"] == "saksframlegg.pdf"
    assert as_(council.world.member_small).get(f"{MEETINGS}{meeting.pk}/").json()["papers"] == []
    download = as_(council.member).get(paper_url)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    assert as_(council.world.member_small).get(paper_url).status_code == 404
    assert as_(council.member).delete(paper_url).status_code == 403
    assert as_(council.chair).delete(paper_url).status_code == 204
    assert not Paper.objects.exists()


def test_desk_shows_papers_to_members_with_a_bounded_page(client, council, schedule):
    meeting = schedule()
    services.add_paper(meeting, council.chair.user, pdf())

    def count():
        client.force_login(type(council.chair.user).objects.get(pk=council.chair.user.pk))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("admin:ikt_council_meeting_change", args=[meeting.pk])).content.decode()
        return len(queries), page

    count()
    few, page = count()
    assert "saksframlegg.pdf" in page
    for index in range(5):
        services.add_paper(meeting, council.chair.user, pdf(f"vedlegg-{index}.pdf"))
    many, page = count()
    assert many == few and "vedlegg-4.pdf" in page

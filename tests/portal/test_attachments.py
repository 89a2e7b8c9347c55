"""Attachments through HTTP: uploading and removing in the portal (post/redirect/get with messages), downloads
that are never shown inline, scoping (another collaboration gets 404, anonymous users go to the login), bounded
queries on the need's page, and the same through the API with its error format. Real files, no mocks."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from ikt_portfolio.needs import attachments
from ikt_portfolio.needs.models import Attachment
from ikt_portfolio.workflow import services as workflow
from tests.needs.test_attachments import HTML, PDF, png_bytes

pytestmark = pytest.mark.django_db

HistoricalAttachment = Attachment.history.model


@pytest.fixture(autouse=True)
def storage_root(settings, tmp_path):
    root = tmp_path / "private"
    settings.IKT_ATTACHMENT_ROOT = root
    settings.IKT_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    settings.IKT_ATTACHMENT_MAX_PER_NEED = 20
    return root


@pytest.fixture
def real_file(tmp_path):
    """Writes `data` to a file called `name` in a temporary folder and opens it for reading."""
    handles = []
    folder = tmp_path / "uploads"
    folder.mkdir()

    def make(name: str, data: bytes):
        path = folder / name
        path.write_bytes(data)
        handle = path.open("rb")
        handles.append(handle)
        return handle

    yield make
    for handle in handles:
        handle.close()


def need_url(need):
    return reverse("ikt_portal:need", args=[need.pk])


def download_url(attachment):
    return reverse("ikt_portal:attachment", args=[attachment.need_id, attachment.pk])


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def attach(need, person, real_file, name="Rapport om tilsyn.pdf", data=PDF):
    from django.core.files import File

    return attachments.add_attachment(need, person.user, File(real_file(name, data), name=name))


# -------------------------------------------------------------------------------------------- portal


def test_the_submitter_uploads_on_the_need_page(login, world, report, real_file, storage_root):
    need = report()
    client = login(world.member_small)
    page = client.get(need_url(need)).content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert '<label class="ds-label" for="id_attachment-file">' in page
    assert "Up to 10.0\xa0MB per file, at most 20 files per need" in page and "PDF, PNG, JPG" in page
    response = client.post(
        reverse("ikt_portal:attach", args=[need.pk]), {"attachment-file": real_file("Rapport om tilsyn.pdf", PDF)}
    )
    assert response.status_code == 302 and response["Location"] == need_url(need) + "#attachments-heading"
    attachment = Attachment.objects.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "Rapport om tilsyn.pdf",
        "application/pdf",
        len(PDF),
    )
    assert [path.read_bytes() for path in stored_files(storage_root)] == [PDF]
    page = client.get(need_url(need)).content.decode()
    assert "“Rapport om tilsyn.pdf” is attached." in page
    assert f"1 file attached to {need.reference}." in page
    assert f'href="{download_url(attachment)}"' in page and "Smola Testesen" in page
    assert '<th scope="col">Size</th>' in page and f"{len(PDF)}\xa0bytes" in page


def test_sizes_are_shown_in_norwegian(login, world, report, real_file):
    need = report()
    attach(need, world.member_small, real_file, data=PDF.ljust(1536 * 1024, b" "))
    world.member_small.language = "nb"
    world.member_small.save()
    page = login(world.member_small).get(need_url(need)).content.decode()
    assert "1,5\xa0MB" in page


def test_a_refused_upload_says_why_and_writes_nothing(login, world, report, real_file, storage_root):
    need = report()
    client = login(world.member_small)
    url = reverse("ikt_portal:attach", args=[need.pk])
    response = client.post(url, {"attachment-file": real_file("side.html", HTML)}, follow=True)
    assert response.status_code == 200
    assert "Web pages, SVG images, programs and scripts cannot be attached." in response.content.decode()
    response = client.post(url, {"attachment-file": real_file("bilde.jpg", png_bytes())}, follow=True)
    assert "does not match its name (.jpg)" in response.content.decode()
    response = client.post(url, {}, follow=True)
    assert "ds-alert" in response.content.decode()
    assert not Attachment.objects.exists() and not HistoricalAttachment.objects.exists()
    assert stored_files(storage_root) == []


def test_people_who_may_not_attach_see_no_form_and_are_refused(login, world, report, real_file, storage_root):
    need = report()
    workflow.perform(need, "submit", world.member_small.user)
    client = login(world.council_member)
    page = client.get(need_url(need)).content.decode()
    assert 'id="attachments-heading"' in page and "multipart/form-data" not in page
    response = client.post(
        reverse("ikt_portal:attach", args=[need.pk]), {"attachment-file": real_file("a.pdf", PDF)}, follow=True
    )
    assert "You may not add attachments to this need now." in response.content.decode()
    assert not Attachment.objects.exists() and stored_files(storage_root) == []


def test_downloads_are_attachments_with_safe_headers(login, world, report, real_file):
    need = report()
    attachment = attach(need, world.member_small, real_file, name="Tilsyn på Smøla.pdf")
    workflow.perform(need, "submit", world.member_small.user)
    client = login(world.council_member)  # anyone who may see the need downloads its files
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Tilsyn%20p%C3%A5%20Sm%C3%B8la.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert body(response) == PDF


def test_text_is_downloaded_as_text_never_as_a_page(login, world, report, real_file):
    need = report()
    attachment = attach(need, world.member_small, real_file, name="liste.csv", data=b"kommune;antall\n")
    response = login(world.member_small).get(download_url(attachment))
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_another_collaboration_gets_404(login, world, report, real_file):
    need = report()
    attachment = attach(need, world.member_small, real_file)
    workflow.perform(need, "submit", world.member_small.user)
    client = login(world.member_other)  # Oslo: collaboration B only
    assert client.get(download_url(attachment)).status_code == 404
    assert client.post(reverse("ikt_portal:attach", args=[need.pk]), {}).status_code == 404
    remove = reverse("ikt_portal:remove_attachment", args=[need.pk, attachment.pk])
    assert client.post(remove).status_code == 404
    assert Attachment.objects.filter(pk=attachment.pk).exists()


def test_a_draft_s_files_are_hidden_like_the_draft(login, world, report, real_file):
    need = report()
    attachment = attach(need, world.member_small, real_file)
    assert login(world.council_member).get(download_url(attachment)).status_code == 404


def test_an_attachment_is_only_found_under_its_own_need(login, world, report, real_file):
    first, second = report(), report(title="Et annet behov")
    attachment = attach(first, world.member_small, real_file)
    client = login(world.member_small)
    wrong = reverse("ikt_portal:attachment", args=[second.pk, attachment.pk])
    assert client.get(wrong).status_code == 404


def test_anonymous_users_are_sent_to_the_login(client, world, report, real_file):
    need = report()
    attachment = attach(need, world.member_small, real_file)
    login_url = reverse("ikt_portal:login")
    for response in (
        client.get(download_url(attachment)),
        client.post(reverse("ikt_portal:attach", args=[need.pk]), {}),
        client.post(reverse("ikt_portal:remove_attachment", args=[need.pk, attachment.pk])),
    ):
        assert response.status_code == 302 and response["Location"].startswith(login_url + "?next=")
    assert client.post(download_url(attachment)).status_code == 405


def test_removing_in_the_portal(login, world, report, real_file, storage_root, django_capture_on_commit_callbacks):
    need = report()
    attachment = attach(need, world.member_small, real_file)
    workflow.perform(need, "submit", world.member_small.user)
    remove = reverse("ikt_portal:remove_attachment", args=[need.pk, attachment.pk])
    response = login(world.council_member).post(remove, follow=True)
    assert "You may not remove this attachment." in response.content.decode()
    assert Attachment.objects.filter(pk=attachment.pk).exists()
    client = login(world.admin_a)
    assert f'action="{remove}"' in client.get(need_url(need)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(remove)
    assert response.status_code == 302
    assert not Attachment.objects.exists() and stored_files(storage_root) == []
    assert "is removed" in client.get(need_url(need)).content.decode()


def test_the_need_page_runs_a_bounded_number_of_queries(login, world, report, real_file, make_person):
    need = report()
    client = login(world.member_small)

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(need_url(need))
        assert response.status_code == 200
        return len(queries)

    attach(need, world.member_small, real_file, name="0.pdf")
    count()
    few = count()
    for index in range(1, 8):
        attach(need, world.member_small, real_file, name=f"{index}.pdf")
    assert count() == few


# ----------------------------------------------------------------------------------------------- API


class Api:
    def __init__(self, person):
        self.user_pk = person.user.pk if person is not None else None
        self.client = APIClient()

    def _client(self):
        if self.user_pk is not None:
            self.client.force_authenticate(get_user_model().objects.get(pk=self.user_pk))
        return self.client

    def get(self, path):
        return self._client().get(path, HTTP_ACCEPT_LANGUAGE="en")

    def upload(self, path, handle):
        return self._client().post(path, {"file": handle}, format="multipart", HTTP_ACCEPT_LANGUAGE="en")

    def delete(self, path):
        return self._client().delete(path, HTTP_ACCEPT_LANGUAGE="en")


def api_attachments(need):
    return f"/api/v1/needs/{need.pk}/attachments/"


def test_api_upload_list_detail_and_download(world, report, real_file, storage_root):
    need = report()
    api = Api(world.member_small)
    response = api.upload(api_attachments(need), real_file("skjerm.png", png_bytes()))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["name"] == "skjerm.png" and created["content_type"] == "image/png"
    assert created["size"] == len(png_bytes()) and created["uploaded_by"]["id"] == world.member_small.pk
    assert created["url"] == f"{api_attachments(need)}{created['id']}/"
    assert [row["id"] for row in api.get(api_attachments(need)).json()] == [created["id"]]
    detail = api.get(f"/api/v1/needs/{need.pk}/").json()
    assert [(row["name"], row["size"], row["content_type"], row["url"]) for row in detail["attachments"]] == [
        ("skjerm.png", len(png_bytes()), "image/png", created["url"])
    ]
    download = api.get(created["url"])
    assert download.status_code == 200 and body(download) == png_bytes()
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith('attachment; filename="skjerm.png"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"


def test_api_refusals_use_the_api_error_format_and_write_nothing(world, report, real_file, storage_root):
    need = report()
    api = Api(world.member_small)
    response = api.upload(api_attachments(need), real_file("side.pdf", HTML))
    assert response.status_code == 400
    assert response.json() == {"file": ["Web pages, SVG images, programs and scripts cannot be attached."]}
    response = api._client().post(api_attachments(need), {}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    workflow.perform(need, "submit", world.member_small.user)
    response = Api(world.council_member).upload(api_attachments(need), real_file("a.pdf", PDF))
    assert response.status_code == 403
    assert response.json() == {"detail": "You may not add attachments to this need now."}
    response = Api(world.member_other).upload(api_attachments(need), real_file("b.pdf", PDF))
    assert response.status_code == 404
    assert Api(None).get(api_attachments(need)).status_code in (401, 403)
    assert not Attachment.objects.exists() and stored_files(storage_root) == []


def test_api_scoping_and_delete(world, report, real_file, storage_root, django_capture_on_commit_callbacks):
    need = report()
    attachment = attach(need, world.member_small, real_file)
    workflow.perform(need, "submit", world.member_small.user)
    url = f"{api_attachments(need)}{attachment.pk}/"
    assert Api(world.member_other).get(url).status_code == 404
    assert Api(world.member_other).get(api_attachments(need)).status_code == 404
    assert Api(world.member_other).delete(url).status_code == 404
    refused = Api(world.council_member).delete(url)
    assert refused.status_code == 403 and refused.json() == {"detail": "You may not remove this attachment."}
    assert Api(world.council_member).get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert Api(world.admin_a).delete(url).status_code == 204
    assert not Attachment.objects.exists() and stored_files(storage_root) == []
    assert Api(world.admin_a).get(url).status_code == 404

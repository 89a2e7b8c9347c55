"""The report pages of the portal: rendering, downloads, scoping and bounded queries (numbers: tests/needs)."""

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ikt_portfolio.members.models import Person
from ikt_portfolio.needs import services
from ikt_portfolio.workflow import services as workflow
from tests.needs.test_reports import build_scenario

pytestmark = pytest.mark.django_db

EQUITY = reverse("ikt_portal:report_equity")
RESPONSES = reverse("ikt_portal:report_response_times")


def download(name, extension):
    return reverse(f"ikt_portal:{name}_download", args=[extension])


@pytest.fixture
def scenario(world, report, make_person):
    return build_scenario(world, report, make_person)


def csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))


def row_keys(page: str, table_id: str) -> list[str]:
    table = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    body = table.split("</thead>", 1)[1].split("<tfoot>", 1)[0]  # every tbody (a lane per size segment)
    return re.findall(r'data-(?:key|reference)="([^"]+)"', body)


# ----------------------------------------------------------------------------------------------- pages


def test_equity_page(login, world, scenario):
    response = login(world.member_small).get(EQUITY)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'aria-current="page">Reports</a>' in page  # the nav
    assert row_keys(page, "equity-municipalities-table") == ["1573", "1563", "1505"]
    assert row_keys(page, "equity-segments-table") == ["small", "medium", "large"]
    assert page.count("<caption") == 4 and '<th scope="row">' in page and '<th scope="col" class="report-num">' in page
    assert 'class="report-bar" aria-hidden="true"' in page and "40.0 %" in page.replace("&nbsp;", " ")
    assert 'style="inline-size: 40.0%"' in page  # the bar, with a dot whatever the language


def test_numbers_are_formatted_in_norwegian(login, world, scenario):
    Person.objects.filter(pk=world.member_small.pk).update(language="nb")
    page = login(world.member_small).get(EQUITY).content.decode()
    assert '<html lang="nb"' in page
    assert "40,0&nbsp;%" in page and "6,4&nbsp;%" in page  # shares
    assert "24\xa0400" in page or "24&nbsp;400" in page  # population with grouping
    assert 'style="inline-size: 40.0%"' in page
    page = login(world.member_small).get(RESPONSES).content.decode()
    assert "20,0" in page


def test_response_times_page(login, world, scenario):
    page = login(world.member_small).get(RESPONSES).content.decode()
    rows = row_keys(page, "response-needs-table")
    assert rows == [n.reference for n in (scenario.k3, scenario.k2, scenario.s1, scenario.k1, scenario.s2)]
    assert scenario.draft.reference not in rows
    assert "still waiting, 20.0 days so far" in page and "past the deadline" in page
    assert "closed without a response" in page
    assert reverse("ikt_portal:need", args=[scenario.k1.pk]) in page
    assert 'id="response-areas-table"' in page and "Helse og omsorg" in page


def test_filters_narrow_the_pages_and_their_downloads(login, world, scenario):
    client = login(world.member_small)
    recent = {"submitted_from": "2025-01-01", "service_area": world.health_a.pk}
    page = client.get(RESPONSES, recent).content.decode()
    assert scenario.s2.reference not in row_keys(page, "response-needs-table")
    assert "table=needs" in page and "submitted_from=2025-01-01" in page  # the download links keep the filters
    header, *rows = csv_rows(client.get(download("report_response_times", "csv"), recent))
    assert [row[0] for row in rows] == [n.reference for n in (scenario.k3, scenario.k2, scenario.s1, scenario.k1)]
    header, *rows = csv_rows(client.get(download("report_equity", "csv"), {**recent, "table": "municipalities"}))
    assert {row[0]: row[6] for row in rows} == {"1573": "1", "1563": "0", "1505": "3"}  # needs submitted


def test_bad_filters_are_explained_and_show_no_numbers(login, world, scenario):
    client = login(world.member_small)
    response = client.get(EQUITY, {"submitted_from": "2025-02-01", "submitted_to": "2025-01-01"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "ds-error-summary" in page and "The period cannot end before it starts." in page
    assert "equity-municipalities-table" not in page
    response = client.get(RESPONSES, {"submitted_from": "not a date"})
    assert response.status_code == 400 and "response-needs-table" not in response.content.decode()
    assert client.get(download("report_equity", "csv"), {"table": "everything"}).status_code == 400
    assert client.get(download("report_equity", "pdf")).status_code == 404


def test_per_need_list_is_paginated(login, world, report):
    for index in range(27):
        need = report(title=f"Behov {index}")
        workflow.perform(need, "submit", world.member_small.user)
    client = login(world.member_small)
    first = client.get(RESPONSES).content.decode()
    assert len(row_keys(first, "response-needs-table")) == 25 and "27 submitted needs" in first
    second = client.get(RESPONSES, {"page": 2}).content.decode()
    assert len(row_keys(second, "response-needs-table")) == 2
    assert len(csv_rows(client.get(download("report_response_times", "csv")))) == 28  # every need, and a header


# ------------------------------------------------------------------------------------------- downloads


def test_downloads(login, world, scenario):
    client = login(world.member_small)
    header, *rows = csv_rows(client.get(download("report_equity", "csv")))
    assert header[:2] == ["Municipality number", "Municipality"] and [row[0] for row in rows] == [
        "1573", "1563", "1505",
    ]  # fmt: skip
    header, *rows = csv_rows(client.get(download("report_equity", "csv"), {"table": "segments"}))
    assert [row[0] for row in rows] == ["small", "medium", "large", "All"]
    response = client.get(download("report_equity", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert re.search(r'filename="equity-a-\d{4}-\d{2}-\d{2}\.xlsx"', response["Content-Disposition"])
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Municipalities", "Size segments"]
    assert [row[0] for row in workbook["Municipalities"].iter_rows(min_row=2, values_only=True)] == [
        "1573", "1563", "1505",
    ]  # fmt: skip
    header, *rows = csv_rows(client.get(download("report_response_times", "csv"), {"table": "service_areas"}))
    assert [row[0] for row in rows] == ["Helse og omsorg", "All service areas"]
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(download("report_response_times", "xlsx")).content))
    assert workbook.sheetnames == ["Needs", "Service areas"] and workbook["Needs"].max_row == 6


# ---------------------------------------------------------------------------------------------- scoping


def test_anonymous_users_are_sent_to_login(client, world, scenario):
    for url in (EQUITY, RESPONSES, download("report_equity", "csv"), download("report_response_times", "xlsx")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("ikt_portal:login"))


def test_a_user_of_another_collaboration_sees_only_their_own(login, world, scenario):
    client = login(world.member_other)  # Oslo: collaboration B only
    page = client.get(EQUITY).content.decode()
    assert row_keys(page, "equity-municipalities-table") == ["1505", "0301"]  # B's members (both large; by name)
    assert "1573" not in page and "Smøla" not in page
    page = client.get(RESPONSES).content.decode()
    assert "response-needs-table" not in page and "Kristiansund 1" not in page
    header, *rows = csv_rows(client.get(download("report_response_times", "csv")))
    assert rows == []
    header, *rows = csv_rows(client.get(download("report_equity", "csv")))
    assert {row[6] for row in rows} == {"0"}
    # naming A's service area is refused, and shows no numbers
    response = client.get(EQUITY, {"service_area": world.health_a.pk})
    assert response.status_code == 400 and "equity-municipalities-table" not in response.content.decode()
    assert client.get(download("report_response_times", "csv"), {"service_area": world.health_a.pk}).status_code == 400


def test_the_report_follows_the_collaboration_the_user_works_in(login, world, scenario):
    client = login(scenario.kristiansund)  # Kristiansund is a member of A and of B
    assert "Smøla 1" in client.get(RESPONSES).content.decode()
    client.post(reverse("ikt_portal:collaboration"), {"collaboration": world.b.pk})
    assert "Smøla 1" not in client.get(RESPONSES).content.decode()
    header, *rows = csv_rows(client.get(download("report_response_times", "csv")))
    assert rows == []


def test_a_user_without_collaboration_is_refused(client, world, scenario):
    client.force_login(world.outsider)
    for url in (EQUITY, RESPONSES, download("report_equity", "csv")):
        assert client.get(url).status_code == 403


# ------------------------------------------------------------------------------------------- query cost


def test_queries_do_not_grow_with_rows(login, world, scenario, report, make_person):
    client = login(world.member_small)
    urls = [
        (EQUITY, {}),
        (RESPONSES, {}),
        (download("report_equity", "csv"), {}),
        (download("report_response_times", "csv"), {}),
        (download("report_response_times", "xlsx"), {}),
    ]

    def counts():
        found = []
        for url, data in urls:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, data)
                if hasattr(response, "streaming_content"):
                    b"".join(response.streaming_content)
            assert response.status_code == 200
            found.append(len(queries))
        return found

    few = counts()
    colleague = make_person("sunndal2", municipality=world.medium, language="en")
    for index in range(8):
        need = report(title=f"Flere {index}", user=colleague.user if index % 2 else None)
        workflow.perform(need, "submit", need.submitted_by.user)
        services.co_sign(need, user=scenario.kristiansund.user)
        if index % 3:
            workflow.perform(need, "take_up", world.lead.user)
    assert counts() == few
    assert max(few) <= 20


def test_submission_period_boundaries_are_whole_local_days(login, world, scenario):
    client = login(world.member_small)
    one_day = {"submitted_from": "2024-01-15", "submitted_to": "2024-01-15"}
    page = client.get(RESPONSES, one_day).content.decode()
    assert row_keys(page, "response-needs-table") == [scenario.s2.reference]
    page = client.get(RESPONSES, {"submitted_to": datetime.date(2024, 1, 14).isoformat()}).content.decode()
    assert "response-needs-table" not in page

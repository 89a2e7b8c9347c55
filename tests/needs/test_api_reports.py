"""The report endpoints of the API: JSON, CSV and XLSX, the collaboration parameter, refusals and the schema."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import include, path

from ikt_portfolio.needs import services
from ikt_portfolio.workflow import services as workflow
from tests.needs.test_api import Api, as_, csv_rows
from tests.needs.test_reports import build_scenario

pytestmark = pytest.mark.django_db

EQUITY = "/api/v1/reports/equity/"
RESPONSES = "/api/v1/reports/response-times/"


@pytest.fixture
def scenario(world, report, make_person):
    return build_scenario(world, report, make_person)


def test_equity_as_json(world, scenario):
    response = as_(world.member_small).get(EQUITY)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["collaboration"]["id"] == world.a.pk
    assert data["thresholds"] == {"small_max_population": 5000, "medium_max_population": 20000}
    assert [o["key"] for o in data["outcomes"]] == [
        "in_progress", "recommended", "approved", "resolved", "rejected", "merged", "withdrawn",
    ]  # fmt: skip
    rows = {row["key"]: row for row in data["municipalities"]}
    assert list(rows) == ["1573", "1563", "1505"]
    smola = rows["1573"]
    assert smola["municipality"] == {"number": "1573", "name": "Smøla"} and smola["segment"] == "small"
    assert (smola["needs"], smola["co_signs_given"], smola["co_signs_received"]) == (2, 1, 2)
    assert smola["need_share"] == "40.0" and smola["population_share"] == "6.4" and smola["median_days"] == "1.8"
    assert smola["outcomes"]["recommended"] == 1
    assert rows["1563"]["needs"] == 0 and rows["1563"]["median_days"] is None
    assert [row["key"] for row in data["segments"]] == ["small", "medium", "large"]
    assert data["total"]["needs"] == 5 and data["total"]["waiting"] == 1

    filtered = as_(world.member_small).get(EQUITY, {"submitted_from": "2025-01-01"}).json()
    assert filtered["total"]["needs"] == 4 and filtered["filters"]["submitted_from"] == "2025-01-01"


def test_response_times_as_json_paginated(world, scenario):
    data = as_(world.member_small).get(RESPONSES, {"page_size": 2}).json()
    assert data["count"] == 5 and len(data["results"]) == 2 and data["next"] and data["previous"] is None
    assert [row["reference"] for row in data["results"]] == [scenario.k3.reference, scenario.k2.reference]
    k3, k2 = data["results"]
    assert k3["closed_without_response"] and k3["state"]["category"] == "cancelled" and k3["response_days"] is None
    assert k2["response_days"] == "4.0" and k2["link"] == f"/api/v1/needs/{scenario.k2.pk}/"
    last = as_(world.member_small).get(RESPONSES, {"page_size": 2, "page": 3}).json()["results"]
    assert last[0]["reference"] == scenario.s2.reference
    (area,) = data["service_areas"]
    assert area["service_area"]["id"] == world.health_a.pk
    assert (area["median_days"], area["p90_days"], area["waiting_overdue"]) == ("2.0", "3.6", 1)
    assert data["total"]["service_area"] is None and data["total"]["needs"] == 5
    waiting = as_(world.member_small).get(RESPONSES, {"page_size": 2, "page": 2}).json()["results"][1]
    assert waiting["reference"] == scenario.k1.reference and waiting["waiting_days"] == "20.0" and waiting["overdue"]


def test_csv_and_xlsx(world, scenario):
    client = as_(world.member_small)
    header, *rows = csv_rows(client.get(EQUITY, {"format": "csv"}))
    assert [row[0] for row in rows] == ["1573", "1563", "1505"]
    header, *rows = csv_rows(client.get(EQUITY, {"format": "csv", "table": "segments"}))
    assert [row[0] for row in rows] == ["small", "medium", "large", "All"]
    header, *rows = csv_rows(client.get(RESPONSES, {"format": "csv", "submitted_to": "2024-12-31"}))
    assert [row[0] for row in rows] == [scenario.s2.reference]
    response = client.get(RESPONSES, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["Needs", "Service areas"] and workbook["Needs"].max_row == 6
    response = client.get(EQUITY, {"format": "csv", "table": "nonsense"})
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "table" in response.json()


def test_the_collaboration_parameter(world, scenario):
    several = as_(scenario.kristiansund)  # Kristiansund is a member of A and of B
    response = several.get(EQUITY)
    assert response.status_code == 400 and "collaboration" in response.json()
    assert several.get(EQUITY, {"collaboration": world.a.pk}).json()["total"]["needs"] == 5
    assert several.get(EQUITY, {"collaboration": world.b.pk}).json()["total"]["needs"] == 0
    assert as_(world.operator).get(EQUITY, {"collaboration": world.a.pk}).json()["total"]["needs"] == 5


def test_refusals(world, scenario):
    other = as_(world.member_other)  # Oslo: collaboration B only
    for url in (EQUITY, RESPONSES):
        assert other.get(url, {"collaboration": world.a.pk}).status_code == 404
        response = other.get(url, {"collaboration": world.a.pk, "format": "csv"})
        assert response.status_code == 404 and response["Content-Type"] == "application/json"
        assert other.get(url, {"collaboration": 999999}).status_code == 404
        assert other.get(url).json()["total"]["needs"] == 0  # its own, B's
        response = other.get(url, {"service_area": world.health_a.pk})  # A's service area
        assert response.status_code == 400 and "service_area" in response.json()
        assert Api(None).get(url).status_code in (401, 403)
        assert as_(world.outsider).get(url).status_code == 403
        assert as_(world.member_small).get(url, {"submitted_from": "yesterday"}).status_code == 400
        assert as_(world.member_small).post(url, {}).status_code == 405


def test_queries_do_not_grow_with_needs(world, scenario, report):
    def count(url, data=None):
        with CaptureQueriesContext(connection) as queries:
            response = as_(world.member_small).get(url, data)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
        assert response.status_code == 200
        return len(queries)

    urls = [(EQUITY, None), (RESPONSES, None), (RESPONSES, {"format": "csv"}), (EQUITY, {"format": "xlsx"})]
    few = [count(url, data) for url, data in urls]
    for index in range(8):
        need = report(title=f"Flere {index}")
        workflow.perform(need, "submit", world.member_small.user)
        services.co_sign(need, user=scenario.kristiansund.user)
    assert [count(url, data) for url, data in urls] == few


def test_schema_documents_the_reports_without_warnings(world):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/reports/", include("ikt_portfolio.needs.api_reports"))])
    schema = generator.get_schema(request=None, public=True)
    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
    operation = schema["paths"]["/api/v1/reports/equity/"]["get"]
    assert {"collaboration", "submitted_from", "submitted_to", "service_area", "table", "format"} <= {
        parameter["name"] for parameter in operation["parameters"]
    }
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json", "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }  # fmt: skip
    paths = as_(world.member_small).get("/api/schema/?format=json").json()["paths"]
    assert "/api/v1/reports/equity/" in paths and "/api/v1/reports/response-times/" in paths

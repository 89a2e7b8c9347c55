"""The annual benefits report for the owners' meeting: the HTML behind the PDF names every member with its numbers
and lists what is not measurable yet, in bokmål and nynorsk (the html element's language), the PDF is a PDF,
the XLSX has a front sheet and one sheet per roll-up, the portal's download links answer (and refuse the same
people as the page), and the management command writes the file and says what it wrote."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from ikt_portfolio.benefits import annual, reports, services

YEAR = 2026
ANNUAL = "/portal/benefits/portfolio/annual-report/"


@pytest.fixture
def report(plan, world):
    services.record_measurement(plan.small_target, plan.benefit_owner.user, datetime.date(YEAR, 6, 1), "30")
    return reports.portfolio_report(world.a, YEAR)


def test_html_has_every_member_and_section(report, plan):
    html = annual.render_html(report, "en")
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html
    for name in ("Smøla", "Sunndal", "Kristiansund", "Digitalt tilsyn", "Tryggere brukere", "Samarbeid A"):
        assert name in html
    for section in ("summary", "members", "projects", "service-areas", "types", "segments", "unmeasurable", "method"):
        assert f'<section id="{section}">' in html
    assert 'data-total="cost">kr 300,000.00' in html and 'data-total="net">kr -110,000.00' in html
    assert f'data-unmeasurable="{plan.unmeasured.pk}"' in html
    assert "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html


@pytest.mark.parametrize("language", ["nb", "nn"])
def test_bokmal_and_nynorsk(report, language):
    html = annual.render_html(report, language)
    assert f'<html lang="{language}">' in html
    assert "kr 300\xa0000,00" in html or "kr 300 000,00" in html  # Norwegian number format


def test_unknown_language_is_refused(report):
    with pytest.raises(ValueError):
        annual.render_html(report, "sv")


def test_pdf(report):
    pdf = annual.render_pdf(report, "nn")
    assert pdf.startswith(b"%PDF") and len(pdf) > 2000


def test_xlsx_front_sheet_and_roll_ups(report):
    book = openpyxl.load_workbook(io.BytesIO(annual.render_xlsx(report, "nb")))
    assert len(book.sheetnames) == 1 + len(reports.TABLES)
    front = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    values = [value for row in front for value in row if value is not None]
    assert "Samarbeid A" in values and YEAR in values
    assert any(isinstance(value, datetime.datetime) for value in values)  # generated at
    money = [Decimal(str(v)) for v in values if isinstance(v, (int, float)) and v != YEAR]
    assert Decimal("300000") in money and Decimal("190000") in money and Decimal("-110000") in money
    members = book.worksheets[1]
    names = [row[1] for row in members.iter_rows(min_row=2, values_only=True)]
    assert names == ["Kristiansund", "Sunndal", "Smøla"]


def test_portal_downloads(client, report, world):
    client.force_login(world.member_small.user)
    response = client.get(ANNUAL + "nn.pdf", {"year": YEAR})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf" and "-nn.pdf" in response["Content-Disposition"]
    response = client.get(ANNUAL + "nb.xlsx", {"year": YEAR})
    assert response.status_code == 200
    front = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert "Samarbeid A" in [cell for row in front.iter_rows(values_only=True) for cell in row]
    assert client.get(ANNUAL + "sv.pdf").status_code == 404
    assert client.get(ANNUAL + "nb.docx").status_code == 404


def test_portal_download_refusals(client, report, world):
    assert client.get(ANNUAL + "nb.pdf").status_code == 302  # signed out
    client.force_login(world.outsider)
    assert client.get(ANNUAL + "nb.pdf").status_code == 403
    client.force_login(world.member_other.user)  # collaboration B: its own report, without A's members
    response = client.get(ANNUAL + "nb.xlsx", {"year": YEAR})
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    values = [c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Samarbeid B" in values and "Smøla" not in values and "Samarbeid A" not in values


def test_command(report, world, tmp_path, capsys):
    target = tmp_path / "arsrapport.pdf"
    call_command("benefits_annual_report", "--collaboration", "A", "--year", "2026", "--language", "nn",
                 "--format", "pdf", "-o", str(target))  # fmt: skip
    out = capsys.readouterr().out
    assert target.read_bytes().startswith(b"%PDF")
    assert str(target) in out and "PDF" in out and "nn" in out and "3" in out
    xlsx = tmp_path / "arsrapport.xlsx"
    call_command(
        "benefits_annual_report", "--collaboration", "A", "--year", "2026", "--format", "xlsx", "-o", str(xlsx)
    )
    assert str(xlsx) in capsys.readouterr().out
    assert openpyxl.load_workbook(xlsx).worksheets[1].max_row == 4  # header + three members
    with pytest.raises(CommandError):
        call_command("benefits_annual_report", "--collaboration", "nope", "--year", "2026", "-o", str(xlsx))

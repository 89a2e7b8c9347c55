import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from ikt_portfolio.members.models import PopulationFigure
from ikt_portfolio.members.services import import_population

pytestmark = pytest.mark.django_db

SSB_EXPORT = (
    '"region";"år";"statistikkvariabel";"Befolkning"\n'
    '"1573 Smøla";"2025";"Personer";"2 139"\n'
    '"1563 Sunndal";"2025";"Personer";"7160"\n'
    '"1505 Kristiansund";"2025";"Personer";"24 569"\n'
)


def test_ssb_export_is_imported(world):
    report = import_population(SSB_EXPORT, user=world.operator, source="SSB 07459")
    assert report.ok, report.errors
    assert (report.rows_read, report.created, report.updated) == (3, 3, 0)
    assert PopulationFigure.objects.get(municipality=world.large, year=2025).population == 24569
    assert PopulationFigure.objects.get(municipality=world.small, year=2025).source == "SSB 07459"


def test_plain_comma_file_updates_existing_figures(world):
    report = import_population("kommunenummer,år,folkemengde\n1573,2026,2200\n", user=world.admin_a.user)
    assert report.ok and report.updated == 1
    assert PopulationFigure.objects.get(municipality=world.small, year=2026).population == 2200


def test_any_bad_row_means_nothing_is_written_and_every_error_is_reported(world):
    text = (
        "kommunenummer;år;folkemengde\n"
        "1573;2025;2139\n"  # fine
        "9999;2025;100\n"  # unknown municipality
        "1563;20x5;7160\n"  # bad year
        "1505;2025;-5\n"  # bad population
        "1573;2025;2140\n"  # duplicate of line 2
        "1563\n"  # too few columns
    )
    with translation.override("en"):
        report = import_population(text, user=world.operator)
    assert not report.ok
    assert [line for line, _ in report.errors] == [3, 4, 5, 6, 7]
    assert "Unknown municipality number 9999" in report.errors[0][1]
    assert "line 2" in report.errors[3][1]
    assert not PopulationFigure.objects.filter(year=2025).exists()


def test_errors_are_translated(world):
    with translation.override("nb"):
        report = import_population("kommunenummer;år;folkemengde\n9999;2025;1\n", user=world.operator)
    assert "Ukjent kommunenummer 9999" in report.errors[0][1]


def test_missing_columns_are_named(world):
    report = import_population("a;b\n1;2\n", user=world.operator)
    assert report.errors[0][0] == 1


def test_an_administrator_imports_only_for_own_members(world):
    text = "kommunenummer;år;folkemengde\n0301;2025;710000\n1573;2025;2139\n"
    report = import_population(text, user=world.admin_a.user)
    assert [line for line, _ in report.errors] == [2]
    assert not PopulationFigure.objects.filter(year=2025).exists()


def test_command_prints_progress_and_result(world, tmp_path):
    path = tmp_path / "befolkning.csv"
    path.write_text(SSB_EXPORT, encoding="utf-8-sig")
    out = io.StringIO()
    call_command("import_population", str(path), stdout=out)
    assert "3" in out.getvalue() and PopulationFigure.objects.filter(year=2025).count() == 3


def test_command_fails_with_row_errors(world, tmp_path):
    path = tmp_path / "feil.csv"
    path.write_text("kommunenummer;år;folkemengde\n9999;2025;1\n", encoding="cp1252")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_population", str(path), stderr=err)
    assert "9999" in err.getvalue()


def test_desk_import_shows_the_report_and_writes_nothing_on_error(world, client):
    client.force_login(world.admin_a.user)
    url = reverse("admin:ikt_members_populationfigure_import_population")
    assert client.get(url).status_code == 200
    bad = SimpleUploadedFile("b.csv", b"kommunenummer;\xc3\xa5r;folkemengde\n1573;2025;abc\n", content_type="text/csv")
    response = client.post(url, {"file": bad, "source": "SSB"})
    assert response.status_code == 200
    assert "abc" in response.content.decode()
    assert not PopulationFigure.objects.filter(year=2025).exists()
    good = SimpleUploadedFile(
        "g.csv", b"kommunenummer;\xc3\xa5r;folkemengde\n1573;2025;2139\n", content_type="text/csv"
    )
    response = client.post(url, {"file": good, "source": "SSB"})
    assert response.status_code == 302
    assert PopulationFigure.objects.filter(year=2025).count() == 1


def test_desk_import_is_refused_to_plain_members(world, client):
    client.force_login(world.member_small.user)
    response = client.get(reverse("admin:ikt_members_populationfigure_import_population"))
    assert response.status_code in (302, 403)

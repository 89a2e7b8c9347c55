"""Measurements by CSV/XLSX import (`benefits.imports`): good CSV and XLSX files are recorded, any refused row means
nothing is written and every refused row is reported by number, a target the user may not record is refused, the
Norwegian decimal comma and a BOM are accepted, a wrong file gets one clear error; the portal form, the template
download and the management command."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from ikt_portfolio.benefits.imports import import_measurements
from ikt_portfolio.benefits.models import Measurement

pytestmark = pytest.mark.django_db

HEADER = "project;indicator;municipality;period;value;confirm_implausible;note\n"
MEASURE = "/portal/benefits/measurements/"
IMPORT = "/portal/benefits/measurements/import/"
TEMPLATE = "/portal/benefits/measurements/template.csv"


def _csv(*rows, header=HEADER, bom=False) -> bytes:
    return (("\ufeff" if bom else "") + header + "".join(row + "\n" for row in rows)).encode("utf-8")


def test_good_csv_is_recorded(plan):
    data = _csv("P-1;Timer spart;1573;2025-02-10;20;;first", "P-1;Timer spart;1573;2025-03-01;25;no;")
    result = import_measurements(data, plan.benefit_owner.user)
    assert result.ok, result.errors
    assert (result.rows_read, result.written) == (2, 2)
    values = list(Measurement.objects.order_by("period").values_list("period", "value", "note", "entered_by"))
    assert values == [
        (datetime.date(2025, 2, 1), Decimal(20), "first", plan.benefit_owner.user.pk),
        (datetime.date(2025, 3, 1), Decimal(25), "", plan.benefit_owner.user.pk),
    ]


def test_comma_delimited_with_indicator_id_and_implausible_confirmed(plan):
    data = (
        "project,indicator,municipality,period,value,confirm_implausible\n"
        f"1,{plan.indicator.pk},1573,2025-04-01,5000,yes\n"
    ).encode()
    result = import_measurements(data, plan.owner.user)
    assert result.ok, result.errors
    measurement = Measurement.objects.get()
    assert measurement.value == 5000 and measurement.confirmed_implausible


def test_good_xlsx_is_recorded(plan):
    book = Workbook()
    sheet = book.active
    sheet.append(["project", "indicator", "municipality", "period", "value", "confirm_implausible", "note"])
    sheet.append(["P-1", "Timer spart", 1573, datetime.datetime(2025, 5, 1), 12.5, None, "fra Excel"])
    sheet.append(["P-1", "Timer spart", "1563", datetime.date(2025, 5, 1), 30, "nei", None])
    buffer = io.BytesIO()
    book.save(buffer)
    result = import_measurements(SimpleUploadedFile("m.xlsx", buffer.getvalue()), plan.owner.user)
    assert result.ok, result.errors
    assert result.written == 2
    assert Measurement.objects.get(target=plan.small_target).value == Decimal("12.5")
    assert Measurement.objects.get(target=plan.medium_target).value == 30


def test_two_bad_rows_write_nothing_and_both_are_reported(plan):
    data = _csv(
        "P-1;Timer spart;1573;2025-02-01;20;;",  # fine
        "P-1;Timer spart;1573;2024-06-01;20;;",  # before the baseline
        "P-1;Timer spart;1573;2025-03-01;5000;;",  # implausible, not confirmed
        "P-1;Timer spart;1573;2025-04-01;21;;",  # fine
    )
    result = import_measurements(data, plan.benefit_owner.user)
    assert not result.ok and result.written == 0 and result.rows_read == 4
    assert [line for line, _message in result.errors] == [3, 4]
    assert "baseline" in result.errors[0][1] and "plausible" in result.errors[1][1]
    assert not Measurement.objects.exists()


def test_duplicate_rows_and_unknown_targets_are_reported(plan):
    data = _csv(
        "P-1;Timer spart;1573;2025-02-01;20;;",
        "P-1;Timer spart;1573;2025-02-20;21;;",  # the same month as row 2
        "P-9;Timer spart;1573;2025-02-01;20;;",  # no such project
        "P-1;Ukjent;1573;2025-02-01;20;;",  # no such indicator
        "P-1;Timer spart;1505;2025-02-01;20;;",  # Kristiansund opted out: no target
        "P-1;Timer spart;1573;1.2.2025x;20;;",  # not a date
        "P-1;Timer spart;1573;2025-06-01;abc;;",  # not a number
        "P-1;Timer spart;1573;2025-07-01;2;kanskje;",  # confirm neither yes nor no
    )
    result = import_measurements(data, plan.benefit_owner.user)
    assert [line for line, _message in result.errors] == [3, 4, 5, 6, 7, 8, 9]
    assert "Row 2" in result.errors[0][1]
    assert not Measurement.objects.exists()


def test_a_target_the_user_may_not_record_is_refused(plan, world):
    data = _csv("P-1;Timer spart;1573;2025-02-01;20;;", "P-1;Timer spart;1563;2025-02-01;20;;")
    result = import_measurements(data, plan.benefit_owner.user)  # Smøla's owner, not Sunndal's
    assert [line for line, _message in result.errors] == [3]
    assert "may not record" in result.errors[0][1]
    assert not Measurement.objects.exists()
    outsider = import_measurements(_csv("P-1;Timer spart;1573;2025-02-01;20;;"), world.outsider)
    assert [line for line, _message in outsider.errors] == [2] and not Measurement.objects.exists()


def test_decimal_comma_spaces_and_bom(plan):
    data = _csv('P-1;Timer spart;1573;2025-02-01;"12,75";;', "P-1;Timer spart;1573;01.03.2025;1 0,5;;", bom=True)
    result = import_measurements(data, plan.benefit_owner.user)
    assert result.ok, result.errors
    assert list(Measurement.objects.order_by("period").values_list("value", flat=True)) == [
        Decimal("12.75"),
        Decimal("10.5"),
    ]


def test_dry_run_writes_nothing(plan):
    result = import_measurements(_csv("P-1;Timer spart;1573;2025-02-01;20;;"), plan.owner.user, dry_run=True)
    assert result.ok and result.written == 1 and not Measurement.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"PK\x03\x04 not really a zip",
        b"",
        b"navn;verdi\nTimer;20\n",
        "\xe6\xf8\xe5 latin-1".encode("latin-1"),
    ],
)
def test_a_wrong_file_gets_one_clear_error(plan, data):
    result = import_measurements(data, plan.owner.user)
    assert len(result.errors) == 1 and result.errors[0][0] is None
    assert not Measurement.objects.exists()


def test_missing_columns_are_named(plan):
    result = import_measurements(b"project;indicator;period\nP-1;Timer spart;2025-02-01\n", plan.owner.user)
    assert len(result.errors) == 1 and "municipality, value" in result.errors[0][1]


def test_portal_import_shows_row_errors_and_writes_nothing(client, plan):
    client.force_login(plan.benefit_owner.user)
    page = client.get(MEASURE).content.decode()
    assert 'id="benefits-import"' in page and 'enctype="multipart/form-data"' in page
    bad = SimpleUploadedFile(
        "m.csv", _csv("P-1;Timer spart;1573;2025-02-01;x;;", "P-1;Timer spart;1563;2025-02-01;1;;")
    )
    response = client.post(IMPORT, {"import-file": bad})
    body = response.content.decode()
    assert response.status_code == 400
    assert 'data-count="2"' in body and 'data-row="2"' in body and 'data-row="3"' in body
    assert not Measurement.objects.exists()
    good = SimpleUploadedFile("m.csv", _csv("P-1;Timer spart;1573;2025-02-01;20;;"))
    response = client.post(IMPORT, {"import-file": good})
    assert response.status_code == 302 and Measurement.objects.get().value == 20


def test_portal_import_without_a_file_is_refused(client, plan):
    client.force_login(plan.benefit_owner.user)
    assert client.post(IMPORT, {}).status_code == 400
    assert client.get(IMPORT).status_code == 405


def test_portal_template_holds_the_users_targets(client, plan, world):
    Measurement.objects.create(target=plan.small_target, period=datetime.date(2025, 1, 1), value=Decimal(11))
    client.force_login(plan.benefit_owner.user)
    response = client.get(TEMPLATE)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffproject;indicator;municipality;period;value")
    assert text.splitlines()[1:] == ["P-1;Timer spart;1573;2025-02-01;;;"]
    client.force_login(world.member_small.user)  # a member without targets: the header only
    assert client.get(TEMPLATE).content.decode("utf-8").splitlines()[1:] == []
    client.force_login(world.outsider)  # no collaboration
    assert client.get(TEMPLATE).status_code == 403


def test_filled_template_imports(client, plan):
    client.force_login(plan.owner.user)
    text = client.get(TEMPLATE).content.decode("utf-8")
    filled = "\n".join([text.splitlines()[0]] + [line.replace(";;;", ";20;;") for line in text.splitlines()[1:]])
    result = import_measurements(filled.encode("utf-8"), plan.owner.user)
    assert result.ok and result.written == 2


def test_command_prints_what_it_did(plan, tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(_csv("P-1;Timer spart;1573;2025-02-01;20;;", bom=True))
    out = io.StringIO()
    call_command("import_measurements", str(path), "--user", plan.benefit_owner.user.username, stdout=out)
    assert "1" in out.getvalue() and Measurement.objects.count() == 1


def test_command_fails_with_row_errors(plan, tmp_path):
    path = tmp_path / "m.xlsx"
    book = Workbook()
    book.active.append(["project", "indicator", "municipality", "period", "value"])
    book.active.append(["P-1", "Timer spart", 1563, "2025-02-01", 20])
    book.save(path)
    load_workbook(path)  # a real workbook
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_measurements", str(path), "--user", plan.benefit_owner.user.username, stderr=err)
    assert "Row 2" in err.getvalue() and not Measurement.objects.exists()
    with pytest.raises(CommandError):
        call_command("import_measurements", str(path), "--user", "nobody")


def test_errors_are_translated(plan):
    from django.utils import translation

    with translation.override("nn"):
        result = import_measurements(b"\x89PNG\r\n\x1a\n\x00\x00", plan.owner.user)
    assert result.errors[0][1].startswith("Fila er ikkje")

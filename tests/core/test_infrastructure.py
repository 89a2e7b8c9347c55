"""The real parts the product stands on: Redis and the RQ worker, SMTP e-mail, production settings,
translation catalogs, the health endpoint."""

import os
import subprocess
import sys
from pathlib import Path

import django_rq
import pytest
from django.conf import settings
from django.urls import reverse
from rq import SimpleWorker

from ikt_portfolio.core import jobs

ROOT = Path(__file__).resolve().parents[2]


def test_settings_point_at_a_real_redis():
    assert django_rq.get_connection("default").ping() is True, (
        f"No Redis at {settings.REDIS_URL}: run the suite with `make test` (it starts Redis)."
    )


def test_jobs_run_through_redis_and_the_worker():
    queue = django_rq.get_queue("default")
    queue.empty()
    job = jobs.enqueue(jobs.echo, "Æøå")
    assert queue.count == 1
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    job.refresh()
    assert job.is_finished and job.return_value() == "Æøå"


@pytest.mark.django_db
def test_health_reports_database_and_redis(client):
    response = client.get(reverse("ikt_core:health"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


@pytest.mark.django_db
def test_health_says_when_redis_is_down(client, settings):
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    response = client.get(reverse("ikt_core:health"))
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")


@pytest.mark.django_db
def test_password_reset_mail_goes_through_smtp(client, world, smtp_server):
    response = client.post(reverse("admin_password_reset"), {"email": "admin_a@example.test"})
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "admin_a@example.test"
    assert "/reset/" in message.get_payload()


def test_production_settings_pass_the_deploy_check():
    env = {
        **{key: value for key, value in os.environ.items() if key != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "ikt_site.settings_production",
        "IKT_SECRET_KEY": "x" * 20 + "-a-long-and-random-secret-for-the-check-only-9f8e7d6c5b4a",
        "IKT_ALLOWED_HOSTS": "portefolje.example.no",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def catalogs():
    return sorted((ROOT / "ikt_portfolio").rglob("*.po"))


@pytest.mark.parametrize("po", catalogs(), ids=lambda p: str(p.relative_to(ROOT)))
def test_translation_catalogs_are_complete_and_compiled(po, tmp_path):
    statistics = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "x.mo"), str(po)], capture_output=True, text=True
    )
    assert statistics.returncode == 0, statistics.stderr
    assert "untranslated" not in statistics.stderr and "fuzzy" not in statistics.stderr, statistics.stderr
    assert (tmp_path / "x.mo").read_bytes() == po.with_suffix(".mo").read_bytes(), f"run `make messages`: {po}"


def test_every_app_has_nb_and_nn_catalogs():
    apps = ("core", "members", "workflow", "needs", "council", "portfolio", "costs", "projects", "benefits", "portal")
    for app in apps:
        for language in ("nb", "nn"):
            assert (ROOT / "ikt_portfolio" / app / "locale" / language / "LC_MESSAGES" / "django.po").exists()

import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from ikt_portfolio.projects.costs import project_shares
from ikt_portfolio.projects.models import Participation, Project, Risk, StatusReport


@pytest.mark.django_db
def test_demo_projects_in_different_phases():
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=fast), translation.override("en"):
        call_command("load_demo", stdout=io.StringIO())
    projects = list(Project.objects.all())
    assert len(projects) == 3
    assert {p.state for p in projects} == {"forfase", "forprosjekt", "gjennomforing"}
    opted_out = Participation.objects.get(status="opts_out")
    assert opted_out.reason
    assert Participation.objects.filter(status="postpones").exists()
    assert StatusReport.objects.count() == 3 and Risk.objects.count() == 3
    assert all(p.needs.get().state == "converted" for p in projects)
    for project in projects:
        shares = project_shares(project)
        assert shares.errors == [] and shares.total > 0
        assert sum(m.total for m in shares.members) == shares.total
    assert sum(m.total for m in project_shares(opted_out.project).members if m.status == "opts_out") == 0

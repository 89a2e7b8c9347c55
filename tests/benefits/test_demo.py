import datetime
import io

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone, translation

from ikt_portfolio.benefits import services
from ikt_portfolio.benefits.models import Benefit, Measurement, MemberTarget
from ikt_portfolio.members.models import Municipality
from ikt_portfolio.workflow.models import TransitionLog


@pytest.mark.django_db
def test_demo_benefits_with_two_years_of_measurements_and_a_small_member_that_gains_little():
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=fast), translation.override("en"):
        call_command("load_demo", stdout=io.StringIO())
    assert Benefit.objects.filter(indicators__isnull=True).exists()  # "not measurable yet"
    halsa = Municipality.objects.get(number="1571")
    target = MemberTarget.objects.filter(municipality=halsa, owner__user__username="gevinst.halsa").first()
    assert target is not None
    periods = list(target.measurements.values_list("period", flat=True))
    assert (
        periods[0] <= timezone.localdate() - datetime.timedelta(days=700)
        and len(periods) >= {"monthly": 23, "quarterly": 7}[target.indicator.schedule]
    )
    assert Measurement.objects.filter(target__indicator__schedule="quarterly").exists()
    collaboration = target.indicator.benefit.project.collaboration
    year = timezone.localdate().year
    small = services.member_report(halsa, collaboration, year)
    others = [
        services.member_report(t.municipality, collaboration, year)
        for t in MemberTarget.objects.filter(indicator=target.indicator).exclude(municipality=halsa)
    ]
    assert others and all(small.benefit_total < other.benefit_total for other in others)
    # The lifecycle: every benefit is in the default routing, moved by the engine as far as the demo says.
    states = dict(Benefit.objects.values_list("name", "state"))
    assert all(states.values()), states
    assert set(states.values()) >= {"identified", "planned", "being_realised", "verified"}
    assert all(states[b.name] == "identified" for b in Benefit.objects.filter(indicators__isnull=True))
    verified = Benefit.objects.get(state="verified")
    logs = {entry.action: entry for entry in TransitionLog.objects.of(verified).select_related("actor")}
    assert list(logs) == ["verify", "conclude_realised", "start_realisation", "plan", "start"]  # newest first
    assert logs["verify"].actor.username == "admin" and logs["conclude_realised"].actor.username == "prosjekteier"
    assert logs["start"].at < logs["plan"].at < logs["start_realisation"].at < logs["conclude_realised"].at
    assert logs["verify"].at < timezone.now()
